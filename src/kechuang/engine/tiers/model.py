"""Rule sets as data: loading the YAML files of rulesets/tiers and resolving dated parameters.

A rule set file describes one version of one tier's rules (see rulesets/tiers/README.md for the format).
Parameters are the only numbers: each has a value, a verification flag (V/P/U), a source and an
`effective_from` (the rule set's own unless given); a parameter may list several dated `versions`, and the
platform may add more at run time (`parameter_versions`). The version in force on the as-of date wins:
the latest `effective_from` not after it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kechuang.rulesets import TIERS_DIR


class RuleSetError(ValueError):
    """A rule set file or parameter override that is malformed (Chinese message)."""


# A parameter inside a condition's label: `{name}` as is, `{name:%}` as a percentage, `{name:亿}` in 亿
# (money parameters are in 万). Labels are rendered with the parameters in force (engine/labels.py), so a
# bureau's new threshold shows in every list and export that names the condition.
LABEL_PLACEHOLDER = re.compile(r"\{(\w+)(?::(%|亿))?\}")


@dataclass(frozen=True)
class ParameterVersion:
    value: Any
    effective_from: dt.date
    verified: str = "U"
    source: str = ""
    note: str = ""


@dataclass
class RuleSet:
    id: str
    tier: str
    variant: str
    default: bool
    name_zh: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    source_urls: list[str]
    fiscal_year_offset: int
    parameters: dict[str, list[ParameterVersion]]
    parameter_labels: dict[str, str]  # Chinese name of each parameter, shown where a bureau changes it
    values: dict[str, str]
    scores: list[dict]
    conditions: list[dict]
    routes: list[dict]
    path: Path
    notes: str = ""
    extra: dict = field(default_factory=dict)
    # Labels this version had before (`innovative_sme@2022-06-01` became `@2022-08-01` when its effective date
    # was corrected): results stored under an old label still find their rule set.
    previous_labels: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def in_force(self, as_of: dt.date) -> bool:
        return self.effective_from <= as_of and (self.effective_to is None or as_of <= self.effective_to)

    def resolve(self, as_of: dt.date, overrides: list[dict] | None = None) -> dict[str, ParameterVersion]:
        """Parameter versions in force on `as_of`, with run-time overrides for this rule set merged in."""
        out: dict[str, ParameterVersion] = {}
        extra: dict[str, list[ParameterVersion]] = {}
        for item in overrides or ():
            if item.get("ruleset") not in (self.id, self.label):
                continue
            name = item.get("parameter")
            if name not in self.parameters:
                # A bureau version keyed by this rule set's id may name a parameter of another of its versions
                # (one the current text dropped): it does not apply here. A name no version has is an error.
                if any(name in r.parameters for r in all_rulesets(self.path.parent) if r.id == self.id):
                    continue
                raise RuleSetError(f"规则集 {self.id} 没有参数“{name}”")
            extra.setdefault(name, []).append(
                ParameterVersion(
                    value=item["value"],
                    effective_from=_date(item["effective_from"]),
                    verified="V",
                    source=str(item.get("source") or ""),
                    note=str(item.get("note") or ""),
                )
            )
        for name, versions in self.parameters.items():
            candidates = [v for v in versions + extra.get(name, []) if v.effective_from <= as_of]
            if not candidates:
                candidates = versions[:1]  # a rule set in force always has its base value
            # Latest effective_from wins; on a tie a run-time version (appended last) wins.
            out[name] = max(enumerate(candidates), key=lambda iv: (iv[1].effective_from, iv[0]))[1]
        return out


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleSetError(f"日期“{value}”无效，应为 YYYY-MM-DD") from None


def _parameter(name: str, spec, default_from: dt.date, path: Path) -> list[ParameterVersion]:
    if not isinstance(spec, dict) or ("value" not in spec and "versions" not in spec):
        raise RuleSetError(f"{path.name}: 参数 {name} 需要 value 或 versions")
    items = spec.get("versions") or [spec]
    out = []
    for item in items:
        verified = str(item.get("verified", spec.get("verified", "U")))
        if verified not in ("V", "P", "U"):
            raise RuleSetError(f"{path.name}: 参数 {name} 的 verified 应为 V/P/U")
        out.append(
            ParameterVersion(
                value=item["value"],
                effective_from=_date(item.get("effective_from", default_from)),
                verified=verified,
                source=str(item.get("source", spec.get("source", "")) or ""),
                note=str(item.get("note", spec.get("note", "")) or ""),
            )
        )
    return sorted(out, key=lambda v: v.effective_from)


def _parameter_label(name: str, spec, path: Path) -> str:
    label = spec.get("label") if isinstance(spec, dict) else None
    if not isinstance(label, str) or not label.strip():
        raise RuleSetError(f"{path.name}: 参数 {name} 缺少 label（中文名称）")
    return label.strip()


def load_file(path: Path) -> RuleSet:
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    try:
        start = _date(doc["effective_from"])
        end = doc.get("effective_to")
        ruleset = RuleSet(
            id=doc["id"],
            tier=doc["tier"],
            variant=doc.get("variant", "national"),
            default=bool(doc.get("default", True)),
            name_zh=doc["name_zh"],
            version=str(doc.get("version", start.isoformat())),
            effective_from=start,
            effective_to=_date(end) if end else None,
            source=doc.get("source", ""),
            source_urls=list(doc.get("source_urls", [])),
            fiscal_year_offset=int(doc.get("fiscal_year_offset", 1)),
            parameters={k: _parameter(k, v, start, path) for k, v in (doc.get("parameters") or {}).items()},
            parameter_labels={k: _parameter_label(k, v, path) for k, v in (doc.get("parameters") or {}).items()},
            values=dict(doc.get("values") or {}),
            scores=list(doc.get("scores") or []),
            conditions=list(doc["conditions"]),
            routes=list(doc["routes"]),
            path=path,
            notes=doc.get("notes", ""),
            previous_labels=tuple(doc.get("previous_labels") or ()),
        )
        _check_labels(ruleset)
        return ruleset
    except KeyError as exc:
        raise RuleSetError(f"{path.name}: 缺少 {exc.args[0]}") from None


def _check_labels(ruleset: RuleSet) -> None:
    """Every condition has a Chinese label whose placeholders name numeric parameters of the rule set."""
    for cond in ruleset.conditions:
        cid, text = cond.get("id"), cond.get("label")
        if not isinstance(text, str) or not text.strip():
            raise RuleSetError(f"{ruleset.path.name}: 条件 {cid} 缺少 label（中文名称）")
        for name, _spec in LABEL_PLACEHOLDER.findall(text):
            versions = ruleset.parameters.get(name)
            if not versions or not all(is_number(v.value) for v in versions):
                raise RuleSetError(f"{ruleset.path.name}: 条件 {cid} 的 label 引用了“{name}”，它不是本规则集的数值参数")


@lru_cache(maxsize=4)
def _load_dir(directory: str) -> tuple[RuleSet, ...]:
    return tuple(load_file(p) for p in sorted(Path(directory).glob("*.yaml")))


def all_rulesets(directory: Path = TIERS_DIR) -> tuple[RuleSet, ...]:
    """Every rule set file (all versions) in `directory`."""
    return _load_dir(str(directory))


def ruleset_by_label(label: str, directory: Path = TIERS_DIR) -> RuleSet | None:
    """The rule set version a stored result names (`tech_sme@2022-05-01`), or None."""
    return next((r for r in all_rulesets(directory) if label == r.label or label in r.previous_labels), None)


def read_local_set(text: str | None) -> str | dict[str, str] | None:
    """A stored local set: "gazelle=jinan,unicorn=suqian" (a region profile's variant per tier) as a mapping;
    a bare variant name ("jinan", the command line's) as it is; empty as None."""
    if not text:
        return None
    if "=" not in text:
        return text
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def local_set_text(local_set: str | Mapping[str, str] | None) -> str:
    """The inverse of `read_local_set` (what a run stores)."""
    if not local_set:
        return ""
    if isinstance(local_set, str):
        return local_set
    return ",".join(f"{tier}={variant}" for tier, variant in sorted(local_set.items()) if variant)


def variants(as_of: dt.date, directory: Path = TIERS_DIR) -> dict[str, list[RuleSet]]:
    """Tier id → its rule sets in force on `as_of`, for the tiers that have more than one local variant."""
    by_tier: dict[str, list[RuleSet]] = {}
    for r in all_rulesets(directory):
        if r.in_force(as_of):
            by_tier.setdefault(r.tier, []).append(r)
    return {tier: options for tier, options in by_tier.items() if len({r.variant for r in options}) > 1}


def select_rulesets(
    as_of: dt.date,
    tiers: list[str] | None = None,
    local_set: str | Mapping[str, str] | None = None,
    directory: Path = TIERS_DIR,
) -> list[RuleSet]:
    """The rule sets in force on `as_of`, one per tier (or per explicitly named rule set id).

    `tiers` holds tier ids (`gazelle`) or rule set ids (`gazelle_jinan`); None = every tier. For a tier,
    the variant `local_set` names is used where the tier has it (one name for every tier, or a mapping
    tier → variant: a region profile's choice), else the default variant.
    """
    live = [r for r in all_rulesets(directory) if r.in_force(as_of)]
    by_tier: dict[str, list[RuleSet]] = {}
    for r in live:
        by_tier.setdefault(r.tier, []).append(r)
    wanted = tiers or list(dict.fromkeys(r.tier for r in live))
    chosen: list[RuleSet] = []
    for name in wanted:
        options = by_tier.get(name)
        if not options:
            exact = [r for r in live if r.id == name]
            if exact:
                chosen.append(exact[0])
                continue
            known = "、".join(sorted({r.tier for r in all_rulesets(directory)}))
            raise RuleSetError(f"{as_of} 没有有效的梯队规则“{name}”（可用：{known}）")
        wanted_variant = local_set.get(name) if isinstance(local_set, Mapping) else local_set
        pick = (
            [r for r in options if wanted_variant and r.variant == wanted_variant]
            or [r for r in options if r.default]
            or options
        )
        chosen.append(pick[0])
    return chosen


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
