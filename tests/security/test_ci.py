"""The PostgreSQL-only proofs cannot pass silently where PostgreSQL is required (issue 20: 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KECHUANG_REQUIRE_POSTGRES")}
    full.update(KECHUANG_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "tests/policies/test_concurrency.py"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_postgres_tests_skip_with_a_message_locally_and_fail_where_required(tmp_path):
    local = _run(tmp_path)
    assert local.returncode == 0 and "1 skipped" in local.stdout and "needs PostgreSQL" in local.stdout
    required = _run(tmp_path, KECHUANG_REQUIRE_POSTGRES="1")
    assert required.returncode != 0 and "须在 PostgreSQL 上运行" in required.stdout


def test_make_test_postgres_fails_in_ci_without_a_server():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert 'if [ -z "$$url" ] && [ -n "$${CI:-}" ]' in makefile and "KECHUANG_REQUIRE_POSTGRES=1" in makefile
