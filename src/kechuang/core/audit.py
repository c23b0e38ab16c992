"""Audit trail: services call these inside their transaction, so an audit event exists iff the change does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from .models import AuditEvent


def jsonable(value):
    """A stable, JSON-safe rendering of a field value for old → new records."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def same(a, b) -> bool:
    """Equality that treats Decimal('1.50') and Decimal('1.5') as the same value."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.compare(b) == 0
    return a == b


def diff(old: Mapping, new: Mapping, fields: Iterable[str]) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value changed."""
    out = {}
    for name in fields:
        before, after = old.get(name), new.get(name)
        if not same(before, after):
            out[name] = [jsonable(before), jsonable(after)]
    return out


def event(*, actor, action: str, obj, enterprise=None, changes=None, note: str = "") -> AuditEvent:
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if hasattr(obj, "_meta") else str(type(obj).__name__),
        object_id=str(obj.pk),
        enterprise=enterprise,
        changes=changes or {},
        note=note[:500],
    )


def record(**kwargs) -> AuditEvent:
    ev = event(**kwargs)
    ev.save()
    return ev


def record_many(events: list[AuditEvent], batch_size: int = 2000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
