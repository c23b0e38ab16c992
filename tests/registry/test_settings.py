"""Settings come from the environment: a kept secret for the demo, a required one in production, DEBUG off."""

from __future__ import annotations

import os
import subprocess
import sys


def run_settings(env: dict, code: str = "import kechuang.settings as s; print(s.DEBUG, s.SECRET_KEY[:8])"):
    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "KECHUANG_PRODUCTION")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=60)


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = run_settings({"KECHUANG_DATA_DIR": str(tmp_path)})
    second = run_settings({"KECHUANG_DATA_DIR": str(tmp_path)})
    assert first.returncode == 0 and first.stdout == second.stdout
    assert first.stdout.startswith("False ")  # DEBUG is off unless asked
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(tmp_path):
    result = run_settings({"KECHUANG_DATA_DIR": str(tmp_path), "KECHUANG_PRODUCTION": "1"})
    assert result.returncode != 0 and "必须设置环境变量 SECRET_KEY" in result.stderr
    ok = run_settings(
        {"KECHUANG_DATA_DIR": str(tmp_path), "KECHUANG_PRODUCTION": "1", "SECRET_KEY": "x" * 50, "DEBUG": "1"}
    )
    assert ok.stdout.strip() == "True xxxxxxxx"


def test_database_url_is_read(tmp_path):
    code = "import kechuang.settings as s; print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'])"
    result = run_settings(
        {"KECHUANG_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:5432/kc_prod"}, code
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "kc_prod"]
