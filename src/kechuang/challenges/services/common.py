"""What every challenge service shares: the date, role checks, the rules in force, and refusing in Chinese."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kechuang.rules import selectors as rules

KIND = "challenge"


def today() -> dt.date:
    return timezone.localdate()


def require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


def refuse(problems: list[str] | str) -> None:
    """Raise the problems (Chinese) as one ValidationError, if there are any."""
    if isinstance(problems, str):
        problems = [problems]
    if problems:
        raise ValidationError(problems)


def rule(rule_id: str, as_of: dt.date) -> tuple[str, dict]:
    """(`id@version`, the parameter values in force with the bureau's versions) of one challenge rule."""
    doc = rules.rule_in_force(KIND, rule_id, as_of)
    return doc.key, doc.params(as_of, rules.overrides(KIND, rule_id)).as_dict()


def actor(user):
    return user if getattr(user, "is_authenticated", False) else None


def text(value) -> str:
    return str(value or "").strip()
