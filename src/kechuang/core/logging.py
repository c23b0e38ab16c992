"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class DenialWithoutTraceback(logging.Filter):
    """A refused request (PermissionDenied → 403) is an everyday answer, not a fault: log its one line
    ("Forbidden (Permission denied): /path") without the traceback Django attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
