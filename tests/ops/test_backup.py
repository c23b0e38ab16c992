"""Backup and restore: a round trip that compares every table and the uploaded files, refusals of damaged, newer
or foreign backups before anything is touched, and a backup of an older schema migrated on restore."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from kechuang.core import audit, backup
from kechuang.core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def every_table() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    out = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out[table] = sorted(cursor.fetchall(), key=repr)
    return out


@pytest.fixture
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    (settings.DATA_DIR / "media" / "finance" / "deals").mkdir(parents=True)
    (settings.DATA_DIR / "media" / "finance" / "deals" / "投资协议.pdf").write_bytes(b"%PDF-1.4 agreement")
    (settings.DATA_DIR / "uploads").mkdir()
    (settings.DATA_DIR / "uploads" / "figures.csv").write_text("统一社会信用代码,年度\n", encoding="utf-8")
    (settings.DATA_DIR / "archive").mkdir()
    (settings.DATA_DIR / "archive" / "archive-before-2025-01-01.jsonl.gz").write_bytes(b"archived rows")
    return settings.DATA_DIR


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def round_trip(world, data_dir, tmp_path):
    from kechuang.enterprises.models import Enterprise

    before = every_table()
    files_before = files_under(data_dir)
    out = tmp_path / "backup"
    manifest = backup.backup(out)
    assert manifest["tables"] == {table: len(rows) for table, rows in before.items()}
    assert manifest["schema"]["core"] == "0004_job_claims"
    assert set(manifest["files"]) == {
        backup.DUMP_NAMES[connection.vendor],
        "files/media/finance/deals/投资协议.pdf",
        "files/uploads/figures.csv",
        "files/archive/archive-before-2025-01-01.jsonl.gz",
    }
    assert AuditEvent.objects.order_by("-id").first().action == "ops.backup"

    # Life goes on after the backup: a figure changed, a firm renamed, an upload replaced, another added.
    Enterprise.objects.filter(pk=world["a"].pk).update(name="改名后的企业")
    (data_dir / "media" / "finance" / "deals" / "投资协议.pdf").write_bytes(b"changed")
    (data_dir / "media" / "later.pdf").write_bytes(b"later")

    done = backup.restore(out, replace=True)
    assert done["migrated"] == [] and done["rows"] == sum(manifest["tables"].values())
    after = every_table()
    restored_audit = after.pop("core_auditevent")
    original_audit = before.pop("core_auditevent")
    assert after == before  # every other table, row for row
    # The audit table is the backup's plus the restore itself, chained on.
    assert len(restored_audit) == len(original_audit) + 1
    assert AuditEvent.objects.order_by("-id").first().action == "ops.restore"
    assert set(original_audit) < set(restored_audit)
    assert audit.verify().broken is None
    assert files_under(data_dir) == files_before
    assert Enterprise.objects.get(pk=world["a"].pk).name == world["a"].name


@pytest.mark.django_db(transaction=True)
def test_sqlite_round_trip_compares_every_table_and_file(world, data_dir, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite 的往返测试（PostgreSQL 见下一个测试）")
    round_trip(world, data_dir, tmp_path)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip_compares_every_table_and_file(world, data_dir, tmp_path):
    round_trip(world, data_dir, tmp_path)


@pytest.fixture
def saved(world, data_dir, tmp_path):
    return tmp_path / "backup", backup.backup(tmp_path / "backup")


def refused(source, message, **kwargs):
    before = every_table()
    with pytest.raises(backup.BackupError) as caught:
        backup.restore(source, **kwargs)
    assert str(caught.value) == message
    assert every_table() == before  # nothing touched


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_touched(saved):
    source, _ = saved
    dump = source / backup.DUMP_NAMES[connection.vendor]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    refused(source, f"备份已损坏：文件 {dump.name} 的校验和与备份清单不符", replace=True)

    (source / "files" / "uploads" / "figures.csv").unlink()
    shutil.copy(source / backup.MANIFEST, source / "m.json")
    text = json.loads((source / "m.json").read_text(encoding="utf-8"))
    text["files"][dump.name] = backup._file_entry(dump)
    (source / backup.MANIFEST).write_text(json.dumps(text), encoding="utf-8")
    refused(source, "备份已损坏：缺少文件 files/uploads/figures.csv", replace=True)

    (source / backup.MANIFEST).write_text('{"format": 1, "files": ', encoding="utf-8")
    refused(source, "备份已损坏：manifest.json 无法读取", replace=True)
    (source / backup.MANIFEST).unlink()
    refused(source, f"{source} 不是备份目录：缺少 manifest.json", replace=True)


@pytest.mark.django_db(transaction=True)
def test_newer_foreign_or_unconfirmed_restores_are_refused(saved):
    source, manifest = saved
    refused(source, "当前数据库已有数据表：恢复会覆盖全部数据，确认请加 --replace")

    edited = dict(manifest, schema={**manifest["schema"], "core": "0099_from_the_future"})
    (source / backup.MANIFEST).write_text(json.dumps(edited), encoding="utf-8")
    refused(
        source, "备份来自更新版本的程序（本版本没有迁移 core.0099_from_the_future）：请先升级程序再恢复", replace=True
    )

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    files = {backup.DUMP_NAMES[other]: manifest["files"][backup.DUMP_NAMES[connection.vendor]]}
    shutil.copy(source / backup.DUMP_NAMES[connection.vendor], source / backup.DUMP_NAMES[other])
    (source / backup.MANIFEST).write_text(json.dumps(dict(manifest, database=other, files=files)), encoding="utf-8")
    here = backup.VENDOR_LABELS[connection.vendor]
    refused(
        source,
        f"备份来自 {backup.VENDOR_LABELS[other]} 数据库，当前数据库是 {here}：请在同类数据库上恢复",
        replace=True,
    )


def kechuang(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "kechuang.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_an_older_version_is_migrated_on_restore(world, data_dir, tmp_path):
    """An older platform's database: this one's, with the last tiers migration reversed by the real command."""
    if connection.vendor != "sqlite":
        pytest.skip("用 SQLite 文件模拟旧版本数据库")
    before = every_table()
    current = backup.backup(tmp_path / "current")
    old_db = tmp_path / "old.sqlite3"
    shutil.copy(tmp_path / "current" / "database.sqlite3", old_db)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{old_db}",
        "KECHUANG_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    names = sorted(m.name for m in MigrationLoader(None).disk_migrations.values() if m.app_label == "tiers")
    reverse = kechuang("migrate", "tiers", names[-2], "-v0", env=env)
    assert reverse.returncode == 0, reverse.stderr
    made = kechuang("backup", "--output", str(tmp_path / "old"), env=env)
    assert made.returncode == 0, made.stderr
    assert "备份完成" in made.stdout
    old = json.loads((tmp_path / "old" / backup.MANIFEST).read_text(encoding="utf-8"))
    assert (old["schema"]["tiers"], current["schema"]["tiers"]) == (names[-2], names[-1])

    done = backup.restore(tmp_path / "old", replace=True)
    assert done["migrated"] == [f"tiers.{names[-1]}"]
    after = every_table()
    for table in ("core_auditevent", "django_migrations"):
        after.pop(table), before.pop(table)
    assert after == before


def test_the_command_refuses_a_damaged_backup_in_chinese(tmp_path):
    (tmp_path / backup.MANIFEST).write_text("not json", encoding="utf-8")
    env = {
        **os.environ,
        "KECHUANG_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("DATABASE_URL", None)
    done = kechuang("restore", "--input", str(tmp_path), env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "错误：备份已损坏：manifest.json 无法读取"
    assert not (tmp_path / "data" / "kechuang.sqlite3").exists()
