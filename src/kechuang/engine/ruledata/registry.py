"""Kinds of rule and their rulebooks: where a kind's files live, how they are typed, which version is in force.

Policy:
- A domain registers its kind of rule once (`register(Kind(...))`): an id (`contract_registration`), a Chinese
  label, the folder under `rulesets/` holding its YAML files, and its `RuleDoc` subclass. Nothing else is
  needed to load, validate, date and edit it: the platform's rule pages and version store work for every kind.
- A file holds one document, or several versions of one rule as a list (a kind whose files are written
  another way, like a policy's dated changes, gives its own `reader`). Files are read once per process and
  validated as they are read; a broken file fails loudly with every problem named (file, rule, field).
- `Rulebook.in_force(rule_id, as_of, extra=())` picks the document in force; `extra` are documents the bureau
  added on the platform (whole-document versions), which win over a shipped document of the same day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from kechuang.engine.ruledata.documents import RuleDoc, parse
from kechuang.engine.ruledata.errors import Problem, RuleDataError
from kechuang.engine.ruledata.validity import history, in_force
from kechuang.rulesets import ROOT


@dataclass(frozen=True)
class Kind:
    id: str
    label: str  # Chinese, shown on the rule pages
    folder: str  # under rulesets/
    model: type[RuleDoc]
    domain: str = ""  # the Chinese name of the domain (技术转移、科技金融…), to group the rule pages
    # How one file becomes documents, when not `load_file`'s one mapping or list of versions.
    reader: Callable[[Path, type[RuleDoc]], list[RuleDoc]] | None = None

    @property
    def directory(self) -> Path:
        return ROOT / self.folder


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register a kind of rule (idempotent for the same definition; a clash of ids is a programming error)."""
    known = _KINDS.get(kind.id)
    if known is not None and known != kind:
        raise ValueError(f"rule kind {kind.id!r} registered twice with different definitions")
    _KINDS[kind.id] = kind
    return kind


def kinds() -> list[Kind]:
    return list(_KINDS.values())


def kind(kind_id: str) -> Kind:
    try:
        return _KINDS[kind_id]
    except KeyError:
        raise RuleDataError(f"没有这类规则：{kind_id}") from None


def load_file(path: Path, model: type[RuleDoc]) -> list[RuleDoc]:
    """The documents of one file (one mapping, or a list of versions of one rule)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleDataError(Problem(f"YAML 格式有误：{exc}", path.name)) from None
    except ValueError:  # the YAML reader builds dates itself: 2025-13-01 fails there, not in validation
        raise RuleDataError(Problem("有无效的日期（应为真实存在的日期 YYYY-MM-DD）", path.name)) from None
    items = data if isinstance(data, list) else [data]
    docs, problems = [], []
    for item in items:
        try:
            docs.append(parse(model, item, file=path.name))
        except RuleDataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleDataError(problems)
    return docs


class Rulebook:
    """Every shipped version of every rule of one kind."""

    def __init__(self, kind: Kind, docs: Iterable[RuleDoc]):
        self.kind = kind
        self.docs = tuple(docs)
        seen: dict[tuple[str, str], RuleDoc] = {}
        for doc in self.docs:
            if (doc.id, doc.version) in seen:
                raise RuleDataError(Problem(f"版本 {doc.version} 重复", rule=doc.id))
            seen[(doc.id, doc.version)] = doc

    def ids(self) -> list[str]:
        return list(dict.fromkeys(d.id for d in self.docs))

    def versions(self, rule_id: str, extra: Iterable[RuleDoc] = ()) -> list[RuleDoc]:
        """The versions of one rule, oldest first; `extra` (the bureau's) after shipped ones of the same day."""
        return history([*(d for d in self.docs if d.id == rule_id), *(d for d in extra if d.id == rule_id)])

    def in_force(self, rule_id: str, as_of: dt.date, extra: Iterable[RuleDoc] = ()) -> RuleDoc:
        """The version of `rule_id` in force on `as_of`; RuleDataError (Chinese) when there is none."""
        versions = self.versions(rule_id, extra)
        if not versions:
            raise RuleDataError(f"没有{self.kind.label}“{rule_id}”")
        doc = in_force(versions, as_of)
        if doc is None:
            raise RuleDataError(f"{as_of:%Y-%m-%d} 没有生效的{self.kind.label}“{versions[-1].name}”")
        return doc

    def get(self, key: str, extra: Iterable[RuleDoc] = ()) -> RuleDoc | None:
        """The version a stored result names (`id@version`)."""
        return next((d for d in [*self.docs, *extra] if d.key == key), None)


@cache
def _rulebook(kind_id: str, directory: str) -> Rulebook:
    k = kind(kind_id)
    docs, problems = [], []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            docs.extend((k.reader or load_file)(path, k.model))
        except RuleDataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleDataError(problems)
    return Rulebook(k, docs)


def rulebook(kind_id: str, directory: Path | None = None) -> Rulebook:
    """The rulebook of a kind (its files read once per process; tests may point at their own folder)."""
    return _rulebook(kind_id, str(directory or kind(kind_id).directory))
