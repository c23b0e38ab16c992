"""Typed rule documents: what every dated rule of every domain has in common, validated once at load.

Policy:
- A rule document is one version of one rule: `id`, Chinese `name`, `effective_from`/`effective_to`,
  `source` (document number, title or address), `verification` (V/P/U), optional `source_urls` and `notes`,
  and its dated `parameters` (see params.py). A domain subclasses `RuleDoc` with its own typed fields; pydantic
  checks the types, and `parse` turns every problem into a Chinese message naming file, rule and field.
- Fields may carry a Chinese `title` (`Field(title="…")`); messages use it.
- A document's values on a date come from `params(as_of, overrides)`: the parameters in force, the bureau's
  versions included, each with its source, so a decision can say which value it used and where it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from kechuang.engine.ruledata.errors import Problem, RuleDataError
from kechuang.engine.ruledata.params import (
    Parameter,
    ParameterVersion,
    check_value,
    parse_parameters,
    resolve,
    spec_of,
)

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class RuleDoc(BaseModel):
    """One version of one rule. Subclass it per kind of rule and add the kind's own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(pattern=ID_PATTERN, title="规则编号")
    name: str = Field(min_length=1, title="名称")
    version: str = Field(default="", title="版本")
    effective_from: dt.date = Field(title="生效日期")
    effective_to: dt.date | None = Field(default=None, title="失效日期")
    source: str = Field(min_length=1, title="依据来源")
    verification: Literal["V", "P", "U"] = Field(title="核对状态")
    source_urls: tuple[str, ...] = Field(default=(), title="原文地址")
    notes: str = Field(default="", title="说明")
    parameters: dict[str, Parameter] = Field(default_factory=dict, title="参数")

    @model_validator(mode="before")
    @classmethod
    def _version(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("version") and data.get("effective_from") is not None:
            data = {**data, "version": str(data["effective_from"])}
        return data

    @field_validator("parameters", mode="before")
    @classmethod
    def _parameters(cls, raw: Any, info: ValidationInfo) -> Any:
        if raw is None:
            return {}
        if isinstance(raw, Mapping) and all(isinstance(v, Parameter) for v in raw.values()):
            return raw
        starts = info.data.get("effective_from")
        if starts is None:
            return {}  # the date's own error is reported by its field
        return parse_parameters(raw, starts=starts, rule=str(info.data.get("id", "")))

    @model_validator(mode="after")
    def _window(self) -> RuleDoc:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("失效日期早于生效日期")
        return self

    @field_validator("source_urls", mode="before")
    @classmethod
    def _urls(cls, value):
        return tuple(value or ())

    @property
    def key(self) -> str:
        """`id@version`: what a stored result names to say which version decided it."""
        return f"{self.id}@{self.version}"

    def params(self, as_of: dt.date, overrides: Iterable[Mapping] = ()) -> Params:
        return Params(self, resolve(self.parameters, as_of, overrides, rule_id=self.id))

    def to_data(self) -> dict:
        """The document as its rule file writes it (JSON-safe): what a stored version keeps and `parse` reads."""
        data = self.model_dump(mode="json", exclude={"parameters"}, exclude_none=True)
        data["parameters"] = {name: spec_of(p) for name, p in self.parameters.items()}
        return data

    def problems(self) -> list[Problem]:
        """Problems only the whole document can show (a kind overrides it, e.g. fields no input provides)."""
        return []

    def check_parameter(self, name: str, current, value) -> str | None:
        """None when `value` may replace `current` as parameter `name`, else why not (Chinese). A kind
        overrides this to add its own checks (a tier's band table must be usable by its conditions)."""
        return check_value(self.parameters[name], current, value)


class Params(Mapping):
    """The parameter values in force for one document on one date: `params["rate"]` is the value;
    `params.version("rate")` the dated version with its source; `params.cite("rate")` a Chinese citation."""

    def __init__(self, doc: RuleDoc, versions: dict[str, ParameterVersion]):
        self.doc = doc
        self.versions = versions

    def __getitem__(self, name: str):
        return self.versions[name].value

    def __iter__(self):
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def version(self, name: str) -> ParameterVersion:
        return self.versions[name]

    def cite(self, name: str) -> str:
        v = self.versions[name]
        who = "本局调整" if v.origin == "bureau" else (v.source or self.doc.source)
        return f"{self.doc.parameters[name].label}：{who}（自 {v.effective_from:%Y-%m-%d} 起）"

    def as_dict(self) -> dict:
        """Plain values, JSON-safe where the values are: what a stored decision keeps for replay."""
        return {name: v.value for name, v in self.versions.items()}


# ------------------------------------------------------------------ validation messages

_MESSAGES = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的项（拼写错误？）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期 YYYY-MM-DD",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不对（小写字母开头，只含小写字母、数字和下划线）",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为“键: 值”的映射",
    "model_type": "应为“键: 值”的映射",
    "model_attributes_type": "应为“键: 值”的映射",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "literal_error": "应为 {expected} 之一",
    "enum": "应为 {expected} 之一",
}


def field_title(model: type[BaseModel], loc: tuple, titles: Mapping[str, str] | None = None) -> str:
    """Where a problem is, in Chinese: `verification（核对状态）` for a top-level field; for a nested one the
    titles of each step, `预警规则第 3 项·条件第 1 项·比较值`. A step inside a field the model types only as a
    mapping (a policy's `benefit`) is named by `titles` (key → Chinese), else by its key.
    The one place a field path becomes words: pydantic errors here, a kind's own checks (policies) too."""
    path, steps, current = [], [], model
    for item in loc:
        if isinstance(item, int):
            path.append(f"[{item}]")
            steps.append(f"第 {item + 1} 项")
            continue
        path.append(("." if path else "") + str(item))
        info = getattr(current, "model_fields", {}).get(item) if current is not None else None
        title = info.title if info is not None and info.title else (titles or {}).get(item, str(item))
        steps.append(("·" if steps else "") + title)
        current = _inner_model(info.annotation) if info is not None else None
    dotted = "".join(path)
    if len(loc) == 1:
        return f"{dotted}（{steps[0]}）" if steps[0] != dotted else dotted
    return "".join(steps)


def _inner_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def problems_of(exc: ValidationError, model: type[BaseModel], *, file: str = "", rule: str = "") -> list[Problem]:
    out = []
    errors = exc.errors(include_url=False)
    # A list whose items failed is also "too short" (its valid items are fewer): say only what failed inside.
    inner = [tuple(e["loc"]) for e in errors]
    errors = [
        e
        for e in errors
        if not (
            e["type"] == "too_short"
            and any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in inner)
        )
    ]
    for err in errors:
        ctx = err.get("ctx") or {}
        if err["type"] in ("value_error", "assertion_error"):
            cause = ctx.get("error")
            if isinstance(cause, RuleDataError):  # parameters: already Chinese, with their own places
                out.extend(Problem(p.message, file or p.file, rule or p.rule, p.field) for p in cause.problems)
                continue
            message = str(cause) if cause is not None else err["msg"]
        else:
            template = _MESSAGES.get(err["type"])
            if "expected" in ctx:  # "'V', 'P' or 'U'" → V、P、U
                expected = str(ctx["expected"]).replace(" or ", ", ").replace("'", "")
                ctx = {**ctx, "expected": expected.replace(", ", "、")}
            try:
                message = template.format(**ctx) if template else err["msg"]
            except (KeyError, IndexError):
                message = template
            value = err.get("input")
            shown = value not in ("", None) and isinstance(value, (str, int, float))
            if err["type"] not in ("missing", "extra_forbidden") and shown:
                message += f"，现为“{value}”"
        out.append(Problem(message, file, rule, field_title(model, tuple(err["loc"]))))
    return out


def parse(model: type[RuleDoc], data, *, file: str = "") -> RuleDoc:
    """`data` (a mapping read from YAML, a form or the database) as a validated `model`, or RuleDataError."""
    if not isinstance(data, Mapping):
        raise RuleDataError(Problem("规则文件应为“键: 值”的映射", file))
    rule = str(data.get("id", ""))
    try:
        return model.model_validate(data)
    except RuleDataError as exc:
        raise RuleDataError([Problem(p.message, file, rule, p.field) for p in exc.problems]) from None
    except ValidationError as exc:
        raise RuleDataError(problems_of(exc, model, file=file, rule=rule)) from None
