"""Static files from node_modules: only the files the pages load (settings.VENDOR_STATIC), not the whole
distributions (ECharts alone is tens of megabytes that collectstatic would copy and compress)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning
from django.core.files.storage import FileSystemStorage


def _sources() -> dict[str, Path]:
    return {served: Path(settings.NODE_MODULES) / source for served, source in settings.VENDOR_STATIC.items()}


class VendorFinder(BaseFinder):
    def check(self, **kwargs):
        return [
            Warning(f"{source} is missing: run `npm ci`", id="kechuang.W001")
            for source in _sources().values()
            if not source.is_file()
        ]

    def find(self, path, find_all=False, **kwargs):
        source = _sources().get(path)
        found = str(source) if source is not None and source.is_file() else None
        if find_all:
            return [found] if found else []
        return found

    def list(self, ignore_patterns):
        for served, source in _sources().items():
            if source.is_file():
                storage = FileSystemStorage(location=source.parent)
                storage.prefix = str(Path(served).parent)
                yield source.name, storage
