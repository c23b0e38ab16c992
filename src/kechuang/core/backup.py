"""Backups that restore: the database (pg_dump, or SQLite's online backup API) plus uploaded files, with a manifest.

A backup is a folder:
- `database.dump` (PostgreSQL, pg_dump's custom format) or `database.sqlite3` (SQLite);
- `files/<folder>/…`: the uploaded files kept under KECHUANG_DATA_DIR (FILE_FOLDERS);
- `manifest.json`: the schema version (last migration applied per app), the row count of every table and the
  SHA-256 and size of every file above, all taken from the same consistent snapshot of the database.

Restore refuses a backup whose manifest or files do not check out, one from a newer version of the platform (a
migration this code does not know) or from the other kind of database, all before it touches anything; then it
loads the database, checks every table's row count against the manifest, puts the files back and migrates, so a
backup of an older version comes back at the current schema. Backup and restore are audited.

The secret key is configuration and is not backed up: keep SECRET_KEY with the deployment's other secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from . import audit

MANIFEST = "manifest.json"
FORMAT = 1
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
VENDOR_LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# Folders under KECHUANG_DATA_DIR holding what people uploaded (attachments; import files) and the archive files of
# `kechuang archive`. Exports are regenerated on demand and the job queue is transient, so neither is kept.
FILE_FOLDERS = ("media", "uploads", "archive")
READ_CHUNK = 1 << 20


class BackupError(Exception):
    """A refusal with a message for the operator (Chinese)."""


# ---------------------------------------------------------------- backup


def backup(output: Path, *, actor=None) -> dict:
    """Write a backup of the database and uploaded files into the empty or new folder `output`."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise BackupError(f"备份目录 {output} 不是空目录：请指定一个新的或空的目录")
    output.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"不支持备份 {vendor} 数据库")
    dump = output / DUMP_NAMES[vendor]
    if vendor == "postgresql":
        schema, tables = _dump_postgresql(dump)
    else:
        schema, tables = _dump_sqlite(dump)
    files = {dump.name: _file_entry(dump)}
    for folder in FILE_FOLDERS:
        source = settings.DATA_DIR / folder
        if source.is_dir():
            shutil.copytree(source, output / "files" / folder)
    for path in sorted((output / "files").rglob("*")):
        if path.is_file():
            files[path.relative_to(output).as_posix()] = _file_entry(path)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": vendor,
        "schema": schema,
        "tables": tables,
        "files": files,
    }
    (output / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    audit.record(
        actor=actor,
        action="ops.backup",
        object_type="",
        object_id="",
        changes={"tables": [None, len(tables)], "rows": [None, sum(tables.values())], "files": [None, len(files) - 1]},
        note=f"备份到 {output}",
    )
    return manifest


def _dump_sqlite(dump: Path) -> tuple[dict, dict]:
    """SQLite's online backup API copies a consistent image while others keep writing; counts come from it."""
    connection.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, even from a WAL database
        return _schema_and_counts(target.cursor(), _sqlite_tables(target))
    finally:
        target.close()


def _dump_postgresql(dump: Path) -> tuple[dict, dict]:
    """pg_dump reads the snapshot this transaction exported, so the counts and the dump describe the same data."""
    if connection.in_atomic_block:
        raise BackupError("备份须在事务之外执行")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        found = _schema_and_counts(cursor, connection.introspection.table_names(cursor))
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", f"--file={dump}"],
            "pg_dump",
        )
    return found


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(name for (name,) in rows)


def _schema_and_counts(cursor, tables: list[str]) -> tuple[dict, dict]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    schema = dict(cursor.fetchall())  # the last migration applied per app
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return schema, counts


def _file_entry(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def _pg_env() -> dict:
    """libpq's variables from the Django connection, so no password appears on a command line."""
    s = connection.settings_dict
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if s.get(key):
            env[var] = str(s[key])
    if s.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = s["OPTIONS"]["sslmode"]
    return env


def _run(command: list[str], tool: str) -> None:
    try:
        done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"找不到 {tool}：请安装 PostgreSQL 客户端工具（与服务器同一主版本）") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} 失败：{done.stderr.strip()[-1000:]}")


# ---------------------------------------------------------------- restore


def check(source: Path) -> dict:
    """The manifest of a backup whose every file is present and unchanged; BackupError naming what is wrong."""
    source = Path(source)
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} 不是备份目录：缺少 {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files, tables, schema = manifest["files"], manifest["tables"], manifest["schema"]
        vendor = manifest["database"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"备份已损坏：{MANIFEST} 无法读取") from None
    if manifest.get("format") != FORMAT or vendor not in DUMP_NAMES or DUMP_NAMES[vendor] not in files:
        raise BackupError(f"备份已损坏：{MANIFEST} 的格式不是本程序写的")
    if not (isinstance(tables, dict) and isinstance(schema, dict)):
        raise BackupError(f"备份已损坏：{MANIFEST} 无法读取")
    for name, expected in files.items():
        file = source / name
        if ".." in Path(name).parts or not file.is_file():
            raise BackupError(f"备份已损坏：缺少文件 {name}")
        if _file_entry(file) != expected:
            raise BackupError(f"备份已损坏：文件 {name} 的校验和与备份清单不符")
    return manifest


def restore(source: Path, *, replace: bool = False, actor=None) -> dict:
    """Load a checked backup into the configured database and data folder, then migrate. Returns a summary."""
    source = Path(source)
    manifest = check(source)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(
            f"备份来自 {VENDOR_LABELS[manifest['database']]} 数据库，当前数据库是 "
            f"{VENDOR_LABELS.get(vendor, vendor)}：请在同类数据库上恢复"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(f"{app}.{name}" for app, name in manifest["schema"].items() if (app, name) not in known)
    if unknown:
        raise BackupError(f"备份来自更新版本的程序（本版本没有迁移 {'、'.join(unknown)}）：请先升级程序再恢复")
    if not replace and "django_migrations" in connection.introspection.table_names():
        raise BackupError("当前数据库已有数据表：恢复会覆盖全部数据，确认请加 --replace")

    dump = source / DUMP_NAMES[vendor]
    if vendor == "postgresql":
        _load_postgresql(dump)
    else:
        _load_sqlite(dump)
    with connection.cursor() as cursor:
        _, counts = _schema_and_counts(cursor, list(manifest["tables"]))
    wrong = sorted(t for t, n in manifest["tables"].items() if counts.get(t) != n)
    if wrong:
        raise BackupError(
            f"恢复后这些表的行数与备份清单不符：{'、'.join(wrong[:10])}（数据库可能不完整，请换一份备份恢复）"
        )
    _restore_files(source)
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        schema, _ = _schema_and_counts(cursor, [])
    migrated = sorted(f"{app}.{name}" for app, name in schema.items() if manifest["schema"].get(app) != name)
    audit.record(
        actor=actor,
        action="ops.restore",
        object_type="",
        object_id="",
        changes={"rows": [None, sum(manifest["tables"].values())], "migrated": [None, len(migrated)]},
        note=f"从 {source} 恢复（备份时间 {manifest['created_at']}）",
    )
    return {
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
        "files": len(manifest["files"]) - 1,
        "migrated": migrated,
        "created_at": manifest["created_at"],
    }


def _load_sqlite(dump: Path) -> None:
    if connection.in_atomic_block:
        raise BackupError("恢复须在事务之外执行")
    connection.ensure_connection()
    backup_db = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        backup_db.backup(connection.connection)
    finally:
        backup_db.close()


def _load_postgresql(dump: Path) -> None:
    """Start from an empty schema (a newer version's extra tables would block the migration), then load the dump
    in one transaction."""
    if connection.in_atomic_block:
        raise BackupError("恢复须在事务之外执行")
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        "pg_restore",
    )


def _restore_files(source: Path) -> None:
    """Each uploaded-files folder is replaced as a whole: copied beside, then swapped in."""
    for folder in FILE_FOLDERS:
        target = settings.DATA_DIR / folder
        incoming = source / "files" / folder
        staged = target.with_name(f".{folder}.restoring")
        shutil.rmtree(staged, ignore_errors=True)
        if incoming.is_dir():
            shutil.copytree(incoming, staged)
        else:
            staged.mkdir(parents=True)
        old = target.with_name(f".{folder}.replaced")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staged.rename(target)
        shutil.rmtree(old, ignore_errors=True)
