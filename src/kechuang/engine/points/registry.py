"""The shipped points rule sets (schemes, alert rules) and new dated versions of them.

Policy: shipped rule sets live as YAML under `kechuang/rulesets/points/`; a bureau's edited copy is a new
version of the same id with a later `effective_from`, so past scores stay reproducible with the version
in force at the time. Nothing here is cached across calls that pass a directory, so tests can point at
their own folders.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from pydantic import ConfigDict, model_validator

from kechuang.engine import clock
from kechuang.engine.points.scheme import Scheme, SchemeError, scheme_from_dict, select_version
from kechuang.engine.ruledata import Kind, RuleDoc, register, rulebook

RULESETS_DIR = Path(__file__).resolve().parents[2] / "rulesets" / "points"
SCHEMES_DIR = RULESETS_DIR / "schemes"
ALERTS_DIR = RULESETS_DIR / "alerts"
DEFAULT_SCHEME = "core18"


class SchemeDoc(RuleDoc):
    """A points scheme as a document of the rule-data layer: dated, sourced and stored like every rule; its own
    keys (stage rule, indicators, weights, lists) are checked by `scheme_from_dict`, whose Chinese messages name
    the indicator and stage."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="after")
    def _scheme_is_valid(self) -> SchemeDoc:
        try:
            self.scheme()
        except SchemeError as exc:
            raise ValueError("；".join(exc.errors)) from None
        return self

    def scheme(self) -> Scheme:
        """The compiled scheme the scorer runs."""
        data = self.to_data()
        data.pop("parameters", None)
        return scheme_from_dict(data)


SCHEMES = register(Kind("points_scheme", "创新积分方案", "points/schemes", SchemeDoc, domain="创新积分"))


def load_schemes(directory: str | Path = SCHEMES_DIR) -> list[Scheme]:
    """Every scheme version found in `directory` (*.yaml), validated."""
    return [doc.scheme() for doc in rulebook(SCHEMES.id, Path(directory)).docs]


def get_scheme(
    scheme_id: str = DEFAULT_SCHEME, as_of: dt.date | None = None, directory: str | Path = SCHEMES_DIR
) -> Scheme:
    """The version of `scheme_id` in force on `as_of` (default today)."""
    return select_version(load_schemes(directory), scheme_id, as_of or clock.today())


def _merge(base: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def new_version(scheme: Scheme, effective_from: dt.date, changes: dict | None = None) -> Scheme:
    """A copy of `scheme` as a new version starting `effective_from`, with `changes` merged in
    (nested dicts merge, e.g. {"weights": {"growth": {"revenue": 7, "roe": 6}}}; lists are replaced).
    Validated like any scheme; the caller saves `result.to_dict()` as YAML.
    """
    data = scheme.to_dict()
    data.pop("versions", None)
    data["effective_from"] = effective_from
    data["version"] = effective_from.isoformat()
    data["effective_to"] = None
    return scheme_from_dict(_merge(data, changes or {}))
