"""`kechuang backup`, `restore`, `worker`, `archive`: the server operator's commands (docs/deployment.md).

- backup --output DIR: database (pg_dump / SQLite online backup) + uploaded files + a manifest (core.backup);
- restore --input DIR [--replace]: refuses a damaged or newer backup, loads it, checks row counts, migrates;
- worker [--threads N]: a background-job worker process (run several, on Redis); it also queues again the jobs
  of workers that died (core.jobs.recover_stalled);
- archive --before DATE [--output FILE]: audit records and finished jobs older than DATE into an archive file
  (core.archive), refused inside the audit retention period.
"""

from __future__ import annotations

from .common import fail, parse_date


def register(sub) -> None:
    backup = sub.add_parser("backup", help="备份数据库与上传文件到一个新目录")
    backup.add_argument("--output", required=True, help="备份目录（新的或空的）")
    backup.set_defaults(handler=handle_backup)

    restore = sub.add_parser("restore", help="从备份目录恢复数据库与上传文件，并升级到当前版本")
    restore.add_argument("--input", required=True, help="备份目录（kechuang backup 写的）")
    restore.add_argument("--replace", action="store_true", help="当前数据库已有数据时，确认用备份覆盖")
    restore.set_defaults(handler=handle_restore)

    worker = sub.add_parser("worker", help="后台任务处理进程（生产环境配合 REDIS_URL 启动多个）")
    worker.add_argument("--threads", type=int, default=None, help="本进程同时处理的任务数（默认见 HUEY_WORKERS）")
    worker.set_defaults(handler=handle_worker)

    archive = sub.add_parser("archive", help="把早于某日的审计记录与已结束的后台任务移入归档文件")
    archive.add_argument("--before", required=True, help="归档此日期（YYYY-MM-DD）之前的记录")
    archive.add_argument("--output", default=None, help="归档文件（默认 数据目录/archive/…jsonl.gz）")
    archive.set_defaults(handler=handle_archive)


def _setup():
    from kechuang.djangosetup import setup

    setup()


def handle_backup(args) -> int:
    _setup()
    from kechuang.core import backup

    try:
        manifest = backup.backup(args.output)
    except backup.BackupError as exc:
        return fail(str(exc))
    rows, files = sum(manifest["tables"].values()), len(manifest["files"]) - 1
    print(f"备份完成：{args.output}（{len(manifest['tables'])} 张表，{rows} 行，上传文件 {files} 个）。")
    return 0


def handle_restore(args) -> int:
    _setup()
    from kechuang.core import backup

    try:
        done = backup.restore(args.input, replace=args.replace)
    except backup.BackupError as exc:
        return fail(str(exc))
    migrated = f"，已升级迁移 {'、'.join(done['migrated'])}" if done["migrated"] else ""
    print(
        f"恢复完成：{done['tables']} 张表，{done['rows']} 行，上传文件 {done['files']} 个"
        f"（备份时间 {done['created_at']}）{migrated}。"
    )
    return 0


def handle_worker(args) -> int:
    _setup()
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    from kechuang.core import jobs

    config = dict(settings.HUEY["consumer"])
    if args.threads is not None:
        if args.threads < 1:
            return fail("--threads 至少为 1")
        config["workers"] = args.threads
    queue = "Redis" if settings.REDIS_URL else "SQLite（单机；多个进程请配置 REDIS_URL）"
    print(
        f"后台任务处理进程 {jobs.WORKER_ID} 已启动：队列 {queue}，{config['workers']} 个线程（Ctrl+C 退出）。",
        flush=True,
    )
    jobs.recover_stalled()
    jobs.watch_stalled()
    HUEY.create_consumer(**config).run()
    return 0


def handle_archive(args) -> int:
    _setup()
    from kechuang.core import archive

    try:
        done = archive.archive(before=parse_date(args.before), output=args.output)
    except (ValueError, archive.ArchiveError) as exc:
        return fail(str(exc))
    counts = done["counts"]
    if done["path"] is None:
        print(f"{args.before} 之前没有可归档的记录。")
        return 0
    print(
        f"已归档 {args.before} 之前的审计记录 {counts['core_auditevent']} 条、后台任务 {counts['core_job']} 条："
        f"{done['path']}（SHA-256 {done['sha256']}；归档本身已记入审计）。"
    )
    return 0
