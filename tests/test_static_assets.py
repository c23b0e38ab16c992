"""collectstatic copies only the front-end files the pages load (issue 21: 13), and every one exists."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

SRC = Path(__file__).resolve().parents[1] / "src" / "kechuang"


def test_the_vendor_files_are_exactly_those_the_pages_load():
    loaded = set()
    for path in SRC.rglob("*.html"):
        loaded |= set(re.findall(r"""\{% static ['"](vendor/[^'"]+)['"] %\}""", path.read_text(encoding="utf-8")))
    assert loaded == set(django_settings.VENDOR_STATIC)
    for served in loaded:
        assert finders.find(served), served


def test_collectstatic_copies_only_the_listed_vendor_files(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    vendor = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "vendor").rglob("*") if p.is_file())
    assert vendor == sorted(settings.VENDOR_STATIC)
    assert (tmp_path / "kechuang" / "app.js").is_file()
