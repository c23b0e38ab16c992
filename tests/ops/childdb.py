"""A database that child processes (job workers, a run to kill) share with the test, on SQLite and PostgreSQL.

PostgreSQL: the children connect to the test database itself (the test runs in `transactional_db`, so what either
side commits the other sees). SQLite: the test database lives in memory, which no other process can open, so the
children get a file copy of it, and `pull()` copies the file back into the test's connection before the test reads
what they wrote through the ORM, selectors and pages.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


class ChildDatabase:
    def __init__(self, tmp_path: Path):
        connection.ensure_connection()
        self.file: Path | None = None
        if connection.vendor == "sqlite":
            self.file = tmp_path / "kechuang.sqlite3"
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()
            url = f"sqlite:///{self.file}"
        else:
            s = connection.settings_dict
            auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
            url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "KECHUANG_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        self.env.pop("HUEY_IMMEDIATE", None)

    def query(self, sql: str) -> list[tuple]:
        """Rows of `sql` as the children left them (reads the file on SQLite, the shared database on PostgreSQL)."""
        if self.file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        db = sqlite3.connect(self.file, timeout=30)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def pull(self) -> None:
        """Make what the children wrote visible to this process's ORM (a no-op on PostgreSQL)."""
        if self.file is not None:
            source = sqlite3.connect(self.file, timeout=30)
            try:
                source.backup(connection.connection)
            finally:
                source.close()

    def python(self, code: str, **kwargs):
        """Run `code` in a child Python with Django set up on this database (returns the Popen)."""
        import subprocess

        setup = "from kechuang.djangosetup import setup\nsetup()\n"
        return subprocess.Popen([sys.executable, "-c", setup + code], env=self.env, cwd=ROOT, **kwargs)
