"""Policies as a kind of the rule-data layer (decision record 0004): `PolicyDoc`, their files, their rulebook.

Policy:
- A policy file (`rulesets/policies/<id>.yaml`) writes what every version shares at the top and its dated
  changes under `versions:` (model.resolve_versions merges them). Each resolved version is one `PolicyDoc`,
  parsed through the layer like every kind, so a broken file's messages name the file, the rule and the field,
  in Chinese. The layer types the fields a policy file holds; what it cannot express (benefit kinds and bands,
  caps, condition expressions, budgets) is the engine's `validate_version`, run by the document's own
  validator: parsing a `PolicyDoc` is the one entry point, and `doc.typed` is the engine's `PolicyVersion`.
- `doc.version_dict()` is the self-contained version dict a decision stores and replays (what
  `rules.RuleVersion.value` holds for a policy); `parse(PolicyDoc, that dict)` reads it back.
- Which version is in force is `validity.in_force`; a file's versions start one after another without
  overlapping, and all name the same policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, PrivateAttr, model_validator

from kechuang.engine.policies.model import (
    PolicyError,
    PolicyVersion,
    default_directory,
    jsonable,
    resolve_versions,
    validate_version,
)
from kechuang.engine.ruledata import Kind, Problem, RuleDataError, RuleDoc, in_force, parse, register

KIND_ID = "policies"  # the kind's id here and in rules.RuleVersion


class PolicyDoc(RuleDoc):
    """One version of one policy, with the fields a policy file holds (see rulesets/policies/README.md)."""

    issuer: str = Field(min_length=1, title="发文单位")
    document: str = Field(min_length=1, title="政策文件")
    package: str | None = Field(default=None, title="政策包")
    measure: str | None = Field(default=None, title="政策措施")
    delivery: Literal["auto", "quick", "apply"] = Field(title="兑现方式")
    stacking_group: str | None = Field(default=None, title="叠加组")
    summary: str | None = Field(default=None, title="政策摘要")
    note: str | None = Field(default=None, title="版本说明")
    facts_year: Literal["current", "last"] | None = Field(default=None, title="数据年度")
    eligibility: list[dict[str, Any]] = Field(min_length=1, title="申报条件")
    benefit: dict[str, Any] = Field(title="兑现标准")
    limits: dict[str, Any] | None = Field(default=None, title="兑现限额")
    budget: dict[str, Any] | None = Field(default=None, title="预算")
    version_id: str | None = Field(default=None, title="版本编号")

    _raw: dict = PrivateAttr(default_factory=dict)
    _typed: PolicyVersion | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _engine_checks(cls, data: Any, handler):
        doc = handler(data)
        if isinstance(data, PolicyDoc):
            return doc
        raw = jsonable(dict(data))
        raw["version_id"] = doc.key
        # The engine's own checks (benefit, caps, bands, conditions, budget); each problem names its field.
        doc._typed = validate_version(raw)
        doc._raw = raw
        return doc

    @property
    def typed(self) -> PolicyVersion:
        """The engine's typed version (what evaluate, simulate and replay read)."""
        return self._typed

    def version_dict(self) -> dict:
        """The self-contained version dict (JSON-safe) a decision stores; the same object on every call."""
        return self._raw

    def to_data(self) -> dict:
        return self.version_dict()


@dataclass(frozen=True)
class Policy:
    """One policy file: its versions oldest first."""

    id: str
    path: str
    docs: tuple[PolicyDoc, ...]

    @property
    def versions(self) -> tuple[dict, ...]:
        return tuple(d.version_dict() for d in self.docs)

    def version_on(self, as_of) -> dict | None:
        """The version dict in force on `as_of`, or None."""
        doc = in_force(self.docs, as_of)
        return doc.version_dict() if doc is not None else None

    def latest(self) -> dict:
        return self.docs[-1].version_dict()


def read_policy_file(path: Path, model: type[PolicyDoc] = PolicyDoc) -> list[PolicyDoc]:
    """The versions of one policy file, each parsed through the layer. PolicyError (a RuleDataError) names
    every problem with its file, rule and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PolicyError(Problem(f"无法读取政策文件 {path}：{exc.strerror or exc}", path.name)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(Problem(f"YAML 格式错误：{exc}", path.name)) from None
    except ValueError:  # the YAML reader builds dates itself: 2025-13-01 fails there
        raise PolicyError(Problem("有无效的日期（应为真实存在的日期 YYYY-MM-DD）", path.name)) from None
    try:
        versions = resolve_versions(data, path.name)
    except PolicyError as exc:
        raise PolicyError(Problem(exc.message.removeprefix(f"{path.name}："), path.name)) from None
    docs, problems = [], []
    for index, version in enumerate(versions):
        try:
            docs.append(parse(model, version, file=path.name))
        except RuleDataError as exc:
            where = f"第 {index + 1} 版" if len(versions) > 1 else ""
            problems.extend(
                Problem(p.message, p.file, p.rule, "·".join(s for s in (where, p.field) if s)) for p in exc.problems
            )
    if problems:
        raise PolicyError(problems)
    problems = _sequence_problems(docs, path.name)
    if problems:
        raise PolicyError(problems)
    return docs


def _sequence_problems(docs: list[PolicyDoc], file: str) -> list[Problem]:
    """A file's versions name one policy and follow one another without overlapping."""
    if len({d.id for d in docs}) > 1:
        return [Problem("各版本的 id 必须相同", file, docs[0].id, "id（规则编号）")]
    problems = []
    for index in range(1, len(docs)):
        before, doc = docs[index - 1], docs[index]
        field = f"第 {index + 1} 版·effective_from（生效日期）"
        if doc.effective_from <= before.effective_from:
            problems.append(Problem("生效日期应晚于上一版本的生效日期", file, doc.id, field))
        elif before.effective_to is not None and doc.effective_from <= before.effective_to:
            problems.append(Problem("生效日期与上一版本的有效期重叠", file, doc.id, field))
    return problems


def load_policy_file(path: str | Path) -> Policy:
    """Read, resolve and validate one policy file. Raises PolicyError (Chinese, naming file, rule and field)."""
    docs = read_policy_file(Path(path))
    return Policy(id=docs[0].id, path=str(path), docs=tuple(docs))


def load_policies(directory: str | Path | None = None) -> dict[str, Policy]:
    """Every `*.yaml` policy in a directory (the shipped ones by default), by id; every broken file named."""
    directory = Path(directory) if directory else default_directory()
    out: dict[str, Policy] = {}
    problems = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            policy = load_policy_file(path)
        except RuleDataError as exc:
            problems.extend(exc.problems)
            continue
        if policy.id in out:
            message = f"政策 id“{policy.id}”与 {Path(out[policy.id].path).name} 重复"
            problems.append(Problem(message, path.name, policy.id))
            continue
        out[policy.id] = policy
    if problems:
        raise PolicyError(problems)
    return out


POLICIES = register(Kind(KIND_ID, "政策", "policies", PolicyDoc, domain="政策兑现", reader=read_policy_file))
