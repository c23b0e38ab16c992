"""Which points schemes exist: the shipped YAML versions plus the bureau's dated copies, stored as rule
versions of the rule-data layer (kind `points_scheme`).

Policy: a bureau version is validated by the engine (`scheme_from_dict`) when saved and again when read, so a
version that a later engine rejects fails loudly instead of scoring silently. The version in force on a date
is the engine's `select_version` over both sources; a key (id@version) is unique across them.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.serializers.json import DjangoJSONEncoder

from kechuang.engine.points import Scheme, load_schemes, scheme_from_dict, select_version
from kechuang.engine.points.registry import SCHEMES
from kechuang.rules import selectors as rule_selectors


def jsonable(data: dict) -> dict:
    """A scheme dict with dates as ISO text (what JSONField and scheme_from_dict both accept)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def shipped() -> list[Scheme]:
    return load_schemes()


def bureau_versions() -> list[Scheme]:
    stored = rule_selectors.published(SCHEMES.id).filter(parameter="").order_by("rule_id", "effective_from")
    return [scheme_from_dict(v.value) for v in stored]


def all_schemes() -> list[Scheme]:
    return shipped() + bureau_versions()


def scheme_for(scheme_id: str, as_of: dt.date) -> Scheme:
    return select_version(all_schemes(), scheme_id, as_of)


def scheme_by_key(key: str) -> Scheme | None:
    return next((s for s in all_schemes() if s.key == key), None)


def is_shipped(key: str) -> bool:
    return any(s.key == key for s in shipped())


def run_scheme(run) -> Scheme:
    """The scheme a stored run used (from its snapshot, not today's files)."""
    return scheme_from_dict(run.scheme_data)
