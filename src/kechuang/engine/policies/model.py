"""Policy versions: resolve a file's dated changes, validate a version (Chinese messages).

Policy: a policy is one YAML file (`rulesets/policies/<id>.yaml`). The file's top level holds what is
common to every version; `versions:` is a list of dated changes, oldest first. Version *n* is the top level,
deep-merged with versions 1…n in order (mappings merge key by key, lists and scalars replace), so a change
writes only what changed, with its own `effective_from`, `source`, `verification` and `note`.

Resolution yields a **version dict**: plain, self-contained, JSON-serialisable data that is all the engine
needs to decide a case. It is what a stored decision keeps, so a past decision can be replayed from it alone.
`validate_version` checks a version dict and returns it as a typed `PolicyVersion`; every problem becomes a
`PolicyError` naming its field in Chinese (申报条件第 1 项), worded by the rule-data layer as every kind's
fields are. Files are read through the rule-data layer (document.py: `PolicyDoc`, whose validator calls
`validate_version`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from kechuang.engine.policies import money
from kechuang.engine.ruledata import Problem, RuleDataError, covers, field_title

DELIVERIES = {"auto": "免申即享", "quick": "快申快享", "apply": "常规申报"}
VERIFICATIONS = ("V", "P", "U")
BENEFIT_KINDS = ("fixed", "rate", "bands", "range")
PICKS = ("highest", "lowest")
BELOW_MIN = ("reject", "pay")
FACTS_YEARS = ("current", "last")
ALLOCATIONS = ("pro_rata", "ranking")
ORDERS = ("desc", "asc")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

META_KEYS = {
    "id",
    "name",
    "issuer",
    "document",
    "package",
    "measure",
    "source",
    "verification",
    "delivery",
    "stacking_group",
    "summary",
}
VERSION_KEYS = META_KEYS | {
    "effective_from",
    "effective_to",
    "note",
    "facts_year",
    "eligibility",
    "benefit",
    "limits",
    "budget",
    "version_id",
}
REQUIRED_KEYS = (
    "id",
    "name",
    "issuer",
    "document",
    "source",
    "verification",
    "delivery",
    "effective_from",
    "eligibility",
    "benefit",
)


class PolicyError(RuleDataError):
    """A policy file or version that cannot be used. `message` is Chinese and shown to users; a file read
    through the rule-data layer (document.py) names each problem's file, rule and field."""


# ---------------------------------------------------------------- typed version


@dataclass(frozen=True)
class Condition:
    id: str
    label: str
    when: str


@dataclass(frozen=True)
class Cap:
    """An upper bound on the amount: a fixed amount, or `rate × of` (a money column)."""

    id: str
    label: str
    amount_yuan: int | None = None
    rate: tuple[int, int] | None = None
    of: str | None = None


@dataclass(frozen=True)
class Band:
    """Lower bound included, upper bound excluded (`[lower, upper)`); pays `amount` or `rate × base`."""

    lower: float | None
    upper: float | None
    amount_yuan: int | None = None
    rate: tuple[int, int] | None = None


@dataclass(frozen=True)
class Benefit:
    kind: str
    amount_yuan: int | None = None  # fixed
    base: str | None = None  # rate, bands
    rate: tuple[int, int] | None = None  # rate
    bands: tuple[Band, ...] = ()  # bands
    min_yuan: int | None = None  # range (and optional floor for every kind)
    max_yuan: int | None = None  # range
    pick: str = "highest"  # range: which amount inside [min, upper]
    below_min: str = "reject"  # the capped amount is below min: reject the case, or pay it
    caps: tuple[Cap, ...] = ()


@dataclass(frozen=True)
class Limits:
    one_off: bool = False  # a firm gets it once in the policy's life
    per_firm_yuan: int | None = None  # lifetime total per firm (minus what it already received)
    per_year_yuan: int | None = None  # per firm per payout year (minus what it received that year)


@dataclass(frozen=True)
class Allocation:
    method: str = "pro_rata"
    rank_by: str | None = None
    order: str = "desc"
    partial: bool = True  # ranking: the firm at the edge gets what is left


@dataclass(frozen=True)
class Budget:
    by_year_yuan: dict[int, int] = field(default_factory=dict)
    allocation: Allocation = Allocation()

    def for_year(self, year: int) -> int | None:
        return self.by_year_yuan.get(year)


@dataclass(frozen=True)
class PolicyVersion:
    id: str
    version_id: str
    name: str
    delivery: str
    effective_from: dt.date
    effective_to: dt.date | None
    facts_year: str
    eligibility: tuple[Condition, ...]
    benefit: Benefit
    limits: Limits
    budget: Budget
    stacking_group: str | None
    raw: dict  # the version dict it came from (self-contained; what a decision stores)

    def in_force(self, as_of: dt.date) -> bool:
        return covers(self, as_of)


# ---------------------------------------------------------------- loading


def _merge(base: dict, change: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_versions(document: dict, where: str = "") -> list[dict]:
    """Top level + the dated changes → one self-contained version dict per version, oldest first."""
    if not isinstance(document, dict):
        raise PolicyError(f"{where}：文件内容应为键值映射（YAML mapping）")
    top = {k: v for k, v in document.items() if k != "versions"}
    changes = document.get("versions") or [{}]
    if not isinstance(changes, list):
        raise PolicyError(f"{where}：versions 应为列表")
    resolved, current = [], top
    for index, change in enumerate(changes):
        if not isinstance(change, dict):
            raise PolicyError(f"{where}：第 {index + 1} 版应为键值映射")
        current = _merge(current, change)
        version = jsonable(current)
        if "effective_from" in version and "id" in version:
            version["version_id"] = f"{version['id']}@{version['effective_from']}"
        resolved.append(version)
    return resolved


def jsonable(value):
    """YAML dates → ISO text, so a version dict survives JSON (storage) unchanged."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, int) else k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_DEFAULT = object()


def _default_check(compile_check):
    if compile_check is _DEFAULT:
        from kechuang.engine.policies.conditions import check

        return check
    return compile_check


def default_directory() -> Path:
    from kechuang.rulesets import ROOT

    return ROOT / "policies"


# ---------------------------------------------------------------- validation

# Chinese names of the keys inside a version's benefit, limits and budget, which the document types only as
# mappings; the top-level fields are named by `PolicyDoc`'s titles. A problem's field is worded from both by the
# rule-data layer (`field_title`), as every kind's fields are: 申报条件第 1 项, 兑现标准·金额上限第 2 项·比例.
KEY_TITLES = {
    "id": "编号",
    "label": "名称",
    "when": "条件表达式",
    "kind": "计算方式",
    "amount": "金额",
    "base": "计算基数",
    "rate": "比例",
    "of": "比例基数",
    "min": "最低金额",
    "max": "最高金额",
    "pick": "取值方式",
    "below_min": "低于最低金额时",
    "caps": "金额上限",
    "bands": "分档",
    "from": "下限",
    "to": "上限",
    "one_off": "仅享受一次",
    "per_firm": "每家企业累计上限",
    "per_year": "每家企业每年上限",
    "by_year": "年度预算",
    "allocation": "分配办法",
    "method": "分配方式",
    "rank_by": "排序依据",
    "order": "排序方向",
    "partial": "余额不足时部分兑现",
}


def _error(at: tuple, message: str) -> PolicyError:
    """A problem at the key path `at` of a version dict (("eligibility", 0) is 申报条件第 1 项)."""
    from kechuang.engine.policies.document import PolicyDoc  # the document imports this module

    return PolicyError(Problem(message, field=field_title(PolicyDoc, at, KEY_TITLES) if at else ""))


def _date(value, at: tuple) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _error(at, f"“{value}”不是有效日期（YYYY-MM-DD）") from None


def _yuan(value, at: tuple, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or value is None:
        raise _error(at, "应为金额（万元）")
    try:
        yuan = money.to_yuan(value)
    except ValueError as exc:
        raise _error(at, str(exc)) from None
    if yuan < 0 or (yuan == 0 and not allow_zero):
        raise _error(at, "应为正数（万元）")
    return yuan


def _rate(value, at: tuple) -> tuple[int, int]:
    if isinstance(value, bool) or value is None:
        raise _error(at, "应为比例（如 0.1 表示 10%）")
    try:
        num, den = money.ratio(value)
    except ValueError as exc:
        raise _error(at, str(exc)) from None
    if not 0 < num / den <= 1:
        raise _error(at, f"“{value}”应在 0 到 1 之间（如 0.1 表示 10%）")
    return num, den


def _number(value, at: tuple) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(at, f"“{value}”应为数字")
    return float(value)


def _choice(value, choices, at: tuple) -> str:
    if value not in choices:
        raise _error(at, f"“{value}”无效，应为 {'、'.join(choices)} 之一")
    return value


def _money_field(name, at: tuple) -> str:
    from kechuang.engine.policies import inputs

    if not isinstance(name, str) or not inputs.is_money(name):
        raise _error(at, f"“{name}”应为事实表或政策输入中的金额字段（万元），如研发费用（rd_expense）")
    return name


def _titled(at: tuple, keys) -> list[str]:
    """Each key with its Chinese name, as the rule-data layer words the field: 名称（label）."""
    from kechuang.engine.policies.document import PolicyDoc

    out = []
    for key in keys:
        title = field_title(PolicyDoc, (*at, key), KEY_TITLES).rsplit("·", 1)[-1]
        out.append(title if not at else f"{title}（{key}）" if title != key else key)
    return out


def _only(mapping: dict, allowed: set[str], at: tuple) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise _error(at, f"未知字段 {'、'.join(map(str, unknown))}（可用：{'、'.join(_titled(at, sorted(allowed)))}）")


def _caps(raw, at: tuple) -> tuple[Cap, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _error(at, "应为列表")
    caps, seen = [], set()
    for index, item in enumerate(raw):
        here = (*at, index)
        if not isinstance(item, dict):
            raise _error(here, "应为键值映射")
        _only(item, {"id", "label", "amount", "rate", "of"}, here)
        cap_id = item.get("id")
        if not isinstance(cap_id, str) or not ID_RE.match(cap_id) or cap_id in seen:
            raise _error((*here, "id"), "缺失、格式无效（小写字母、数字、下划线）或重复")
        seen.add(cap_id)
        label = str(item.get("label") or cap_id)
        if "amount" in item:
            if "rate" in item or "of" in item:
                raise _error(here, "固定金额与比例（比例 × 比例基数）只能二选一")
            caps.append(Cap(cap_id, label, amount_yuan=_yuan(item["amount"], (*here, "amount"))))
        elif "rate" in item and "of" in item:
            caps.append(
                Cap(
                    cap_id,
                    label,
                    rate=_rate(item["rate"], (*here, "rate")),
                    of=_money_field(item["of"], (*here, "of")),
                )
            )
        else:
            raise _error(here, "上限应写固定金额，或写比例与比例基数（比例 × 金额字段）")
    return tuple(caps)


def _bands(raw, at: tuple) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise _error(at, "应为非空列表")
    bands = []
    for index, item in enumerate(raw):
        here = (*at, index)
        if not isinstance(item, dict):
            raise _error(here, "应为键值映射")
        _only(item, {"from", "to", "amount", "rate"}, here)
        lower = _number(item["from"], (*here, "from")) if item.get("from") is not None else None
        upper = _number(item["to"], (*here, "to")) if item.get("to") is not None else None
        if lower is not None and upper is not None and upper <= lower:
            raise _error(here, "上限应大于下限")
        if ("amount" in item) == ("rate" in item):
            raise _error(here, "每档应写固定金额或比例之一")
        if "amount" in item:
            bands.append(Band(lower, upper, amount_yuan=_yuan(item["amount"], (*here, "amount"), allow_zero=True)))
        else:
            bands.append(Band(lower, upper, rate=_rate(item["rate"], (*here, "rate"))))
    for index in range(1, len(bands)):
        prev, cur = bands[index - 1], bands[index]
        if prev.upper is None or cur.lower is None or cur.lower < prev.upper:
            raise _error((*at, index), "各档应按从低到高排列且互不重叠（下限含、上限不含）")
    return tuple(bands)


def _benefit(raw) -> Benefit:
    at = ("benefit",)
    if not isinstance(raw, dict):
        raise _error(at, "应为键值映射")
    kind = _choice(raw.get("kind"), BENEFIT_KINDS, (*at, "kind"))
    allowed = {"kind", "caps", "min", "below_min", "label"} | {
        "fixed": {"amount"},
        "rate": {"base", "rate"},
        "bands": {"base", "bands"},
        "range": {"max", "pick"},
    }[kind]
    _only(raw, allowed, at)
    caps = _caps(raw.get("caps"), (*at, "caps"))
    min_yuan = _yuan(raw["min"], (*at, "min")) if raw.get("min") is not None else None
    below_min = _choice(raw.get("below_min", "reject"), BELOW_MIN, (*at, "below_min"))
    if kind == "fixed":
        if "amount" not in raw:
            raise _error(at, "计算方式为固定金额时须写金额")
        return Benefit(
            kind,
            amount_yuan=_yuan(raw["amount"], (*at, "amount")),
            caps=caps,
            min_yuan=min_yuan,
            below_min=below_min,
        )
    if kind == "rate":
        for key in ("base", "rate"):
            if key not in raw:
                raise _error(at, f"计算方式为按比例时须写{KEY_TITLES[key]}")
        return Benefit(
            kind,
            base=_money_field(raw["base"], (*at, "base")),
            rate=_rate(raw["rate"], (*at, "rate")),
            caps=caps,
            min_yuan=min_yuan,
            below_min=below_min,
        )
    if kind == "bands":
        base = raw.get("base")
        from kechuang.engine.policies import inputs

        if not isinstance(base, str) or not base:
            raise _error(at, "计算方式为分档时须写计算基数（分档依据的字段）")
        bands = _bands(raw.get("bands"), (*at, "bands"))
        if any(b.rate for b in bands) and not inputs.is_money(base):
            raise _error((*at, "base"), "按比例计算的档位要求分档依据为金额字段")
        return Benefit(kind, base=base, bands=bands, caps=caps, min_yuan=min_yuan, below_min=below_min)
    for key in ("min", "max"):
        if raw.get(key) is None:
            raise _error(at, f"计算方式为区间时须写{KEY_TITLES[key]}（万元）")
    max_yuan = _yuan(raw["max"], (*at, "max"))
    if max_yuan < min_yuan:
        raise _error((*at, "max"), "不能小于最低金额")
    return Benefit(
        kind,
        min_yuan=min_yuan,
        max_yuan=max_yuan,
        pick=_choice(raw.get("pick", "highest"), PICKS, (*at, "pick")),
        below_min=below_min,
        caps=caps,
    )


def _limits(raw) -> Limits:
    at = ("limits",)
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise _error(at, "应为键值映射")
    _only(raw, {"one_off", "per_firm", "per_year"}, at)
    one_off = raw.get("one_off", False)
    if not isinstance(one_off, bool):
        raise _error((*at, "one_off"), "应为 true 或 false")
    return Limits(
        one_off=one_off,
        per_firm_yuan=_yuan(raw["per_firm"], (*at, "per_firm")) if raw.get("per_firm") is not None else None,
        per_year_yuan=_yuan(raw["per_year"], (*at, "per_year")) if raw.get("per_year") is not None else None,
    )


def _budget(raw) -> Budget:
    at = ("budget",)
    if raw is None:
        return Budget()
    if not isinstance(raw, dict):
        raise _error(at, "应为键值映射")
    _only(raw, {"by_year", "allocation"}, at)
    by_year = {}
    for year, amount in (raw.get("by_year") or {}).items():
        try:
            year_int = int(year)
        except (TypeError, ValueError):
            raise _error((*at, "by_year"), f"键“{year}”应为年度（如 2025）") from None
        by_year[year_int] = _yuan(amount, (*at, "by_year", str(year)), allow_zero=True)
    at = (*at, "allocation")
    alloc = raw.get("allocation") or {}
    if not isinstance(alloc, dict):
        raise _error(at, "应为键值映射")
    _only(alloc, {"method", "rank_by", "order", "partial"}, at)
    method = _choice(alloc.get("method", "pro_rata"), ALLOCATIONS, (*at, "method"))
    rank_by = alloc.get("rank_by")
    if method == "ranking" and not isinstance(rank_by, str):
        raise _error((*at, "rank_by"), "分配方式为按排序分配时须写排序依据的字段")
    partial = alloc.get("partial", True)
    if not isinstance(partial, bool):
        raise _error((*at, "partial"), "应为 true 或 false")
    return Budget(
        by_year,
        Allocation(method, rank_by, _choice(alloc.get("order", "desc"), ORDERS, (*at, "order")), partial),
    )


def validate_version(version: dict, compile_check=_DEFAULT) -> PolicyVersion:
    """Check a resolved version dict; return it typed. A problem is a `PolicyError` naming its field in Chinese
    (申报条件第 1 项), as the rule-data layer names every field; a file's reader adds the file and the version.
    `compile_check(text)` may raise to reject a condition (default: the language plus known field names)."""
    compile_check = _default_check(compile_check)
    if not isinstance(version, dict):
        raise _error((), "政策版本应为键值映射")
    _only(version, VERSION_KEYS, ())
    for key in REQUIRED_KEYS:
        if version.get(key) in (None, "", []):
            raise _error((key,), "缺少此项")
    policy_id = version["id"]
    if not isinstance(policy_id, str) or not ID_RE.match(policy_id):
        raise _error(("id",), f"“{policy_id}”格式无效（小写字母开头，仅含小写字母、数字、下划线）")
    _choice(version["delivery"], tuple(DELIVERIES), ("delivery",))
    _choice(version["verification"], VERIFICATIONS, ("verification",))
    start = _date(version["effective_from"], ("effective_from",))
    end = _date(version["effective_to"], ("effective_to",)) if version.get("effective_to") else None
    if end is not None and end < start:
        raise _error(("effective_to",), "失效日期早于生效日期")
    facts_year = _choice(version.get("facts_year", "last"), FACTS_YEARS, ("facts_year",))
    conditions = version["eligibility"]
    if not isinstance(conditions, list):
        raise _error(("eligibility",), "应为条件列表")
    typed, seen = [], set()
    for index, item in enumerate(conditions):
        here = ("eligibility", index)
        if not isinstance(item, dict):
            raise _error(here, "应为键值映射（编号、名称、条件表达式）")
        _only(item, {"id", "label", "when"}, here)
        cond_id = item.get("id")
        if not isinstance(cond_id, str) or not ID_RE.match(cond_id):
            raise _error((*here, "id"), "缺失或格式无效（小写字母、数字、下划线）")
        if cond_id in seen or cond_id in ("amount_min", "already_received", "limit_reached"):
            raise _error((*here, "id"), f"条件 id“{cond_id}”重复或为保留字")
        seen.add(cond_id)
        when = item.get("when")
        if not isinstance(when, str) or not when.strip():
            raise _error((*here, "when"), "不能为空")
        if compile_check is not None:
            try:
                compile_check(when)
            except Exception as exc:  # the condition language's own (Chinese) message
                raise _error(here, f"条件表达式无效：{getattr(exc, 'message', exc)}") from None
        typed.append(Condition(cond_id, str(item.get("label") or cond_id), when))
    benefit = _benefit(version["benefit"])
    limits = _limits(version.get("limits"))
    budget = _budget(version.get("budget"))
    group = version.get("stacking_group")
    if group is not None and (not isinstance(group, str) or not ID_RE.match(group)):
        raise _error(("stacking_group",), f"“{group}”格式无效")
    return PolicyVersion(
        id=policy_id,
        version_id=f"{policy_id}@{start.isoformat()}",
        name=str(version["name"]),
        delivery=version["delivery"],
        effective_from=start,
        effective_to=end,
        facts_year=facts_year,
        eligibility=tuple(typed),
        benefit=benefit,
        limits=limits,
        budget=budget,
        stacking_group=group,
        raw=version,
    )
