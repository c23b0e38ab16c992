"""Import reports kept on the server for what follows them: a preview's uploaded file, so 确认导入 imports it
without a second upload, and the rejected rows with their reasons, for download.

Each report is two entries under DATA_DIR/uploads/reports named by a random token: `<token>.json` (owner, file
name, when, the report) and, for a preview with rows to import, the file itself. Only the user who uploaded
may use a token; it lapses after settings.IMPORT_PREVIEW_HOURS (and is then removed by the next upload).
Confirming claims the preview by renaming its record, which one request alone can win: a double click
imports once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

FOLDER = "reports"


@dataclass
class Kept:
    token: str
    owner_id: int
    display_name: str
    created_at: dt.datetime
    report: dict
    file: Path | None

    @property
    def confirmable(self) -> bool:
        return self.file is not None and self.file.exists()


def folder() -> Path:
    path = settings.DATA_DIR / "uploads" / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def _record(token: str) -> Path:
    return folder() / f"{token}.json"


def _expired(created_at: dt.datetime) -> bool:
    return timezone.now() - created_at > dt.timedelta(hours=settings.IMPORT_PREVIEW_HOURS)


def keep(report: dict, *, owner, display_name: str, content: bytes | None = None, path: Path | None = None) -> str:
    """Keep `report` (and, for a preview to confirm, the file as `content` or moved from `path`); the token."""
    purge_expired()
    token = secrets.token_hex(16)
    suffix = Path(display_name).suffix.lower()
    file = None
    if content is not None or path is not None:
        file = folder() / f"{token}{suffix}"
        if path is not None:
            Path(path).replace(file)
        else:
            file.write_bytes(content)
    record = {
        "owner_id": owner.pk,
        "display_name": display_name,
        "created_at": timezone.now().isoformat(),
        "file": file.name if file else None,
        "report": report,
    }
    _record(token).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return token


def _read(path: Path, token: str) -> Kept | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Kept(
        token=token,
        owner_id=record["owner_id"],
        display_name=record["display_name"],
        created_at=dt.datetime.fromisoformat(record["created_at"]),
        report=record["report"],
        file=folder() / record["file"] if record["file"] else None,
    )


def load(token: str, user) -> Kept | None:
    """The kept report of `token` if `user` uploaded it and it has not lapsed; else None (nothing tells another
    user that the token exists)."""
    kept = _read(_record(token), token)
    if kept is None or kept.owner_id != user.pk or _expired(kept.created_at):
        return None
    return kept


def claim(token: str, user) -> Kept | None:
    """Take a preview to confirm it: its record is renamed away, so a second request finds nothing. The caller
    removes the file when imported (`discard`)."""
    kept = load(token, user)
    if kept is None or not kept.confirmable:
        return None
    claimed = folder() / f"{token}.claimed"
    try:
        os.rename(_record(token), claimed)
    except FileNotFoundError:  # another request claimed it a moment ago
        return None
    claimed.unlink()
    return kept


def discard(kept: Kept) -> None:
    if kept.file is not None:
        kept.file.unlink(missing_ok=True)
    _record(kept.token).unlink(missing_ok=True)


def purge_expired() -> None:
    """Remove lapsed reports and their files (run whenever a report is kept: no scheduler needed)."""
    for path in folder().glob("*.json"):
        kept = _read(path, path.stem)
        if kept is None or _expired(kept.created_at):
            if kept is not None and kept.file is not None:
                kept.file.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
