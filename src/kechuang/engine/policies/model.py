"""Policy versions: resolve a file's dated changes, validate a version (Chinese messages).

Policy: a policy is one YAML file (`rulesets/policies/<id>.yaml`). The file's top level holds what is
common to every version; `versions:` is a list of dated changes, oldest first. Version *n* is the top level,
deep-merged with versions 1…n in order (mappings merge key by key, lists and scalars replace), so a change
writes only what changed, with its own `effective_from`, `source`, `verification` and `note`.

Resolution yields a **version dict**: plain, self-contained, JSON-serialisable data that is all the engine
needs to decide a case. It is what a stored decision keeps, so a past decision can be replayed from it alone.
`validate_version` checks a version dict and returns it as a typed `PolicyVersion`; every problem becomes a
`PolicyError` whose message names the file and the key path, in Chinese. Files are read through the rule-data
layer (document.py: `PolicyDoc`, whose validator calls `validate_version`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from kechuang.engine.policies import money
from kechuang.engine.ruledata import RuleDataError, covers

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
            raise PolicyError(f"{where}：versions[{index}] 应为键值映射")
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


def _date(value, key: str, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}：{key}“{value}”不是有效日期（YYYY-MM-DD）") from None


def _yuan(value, key: str, where: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or value is None:
        raise PolicyError(f"{where}：{key} 应为金额（万元）")
    try:
        yuan = money.to_yuan(value)
    except ValueError as exc:
        raise PolicyError(f"{where}：{key}：{exc}") from None
    if yuan < 0 or (yuan == 0 and not allow_zero):
        raise PolicyError(f"{where}：{key} 应为正数（万元）")
    return yuan


def _rate(value, key: str, where: str) -> tuple[int, int]:
    if isinstance(value, bool) or value is None:
        raise PolicyError(f"{where}：{key} 应为比例（如 0.1 表示 10%）")
    try:
        num, den = money.ratio(value)
    except ValueError as exc:
        raise PolicyError(f"{where}：{key}：{exc}") from None
    if not 0 < num / den <= 1:
        raise PolicyError(f"{where}：{key}“{value}”应在 0 到 1 之间（如 0.1 表示 10%）")
    return num, den


def _number(value, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{where}：{key}“{value}”应为数字")
    return float(value)


def _choice(value, choices, key: str, where: str) -> str:
    if value not in choices:
        raise PolicyError(f"{where}：{key}“{value}”无效，应为 {'、'.join(choices)} 之一")
    return value


def _money_field(name, key: str, where: str) -> str:
    from kechuang.engine.policies import inputs

    if not isinstance(name, str) or not inputs.is_money(name):
        raise PolicyError(f"{where}：{key}“{name}”应为事实表或政策输入中的金额字段（万元），如 rd_expense")
    return name


def _only(mapping: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise PolicyError(f"{where}：未知字段 {'、'.join(map(str, unknown))}（可用：{'、'.join(sorted(allowed))}）")


def _caps(raw, where: str) -> tuple[Cap, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PolicyError(f"{where}：caps 应为列表")
    caps, seen = [], set()
    for index, item in enumerate(raw):
        here = f"{where} caps[{index}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{here}：应为键值映射")
        _only(item, {"id", "label", "amount", "rate", "of"}, here)
        cap_id = item.get("id")
        if not isinstance(cap_id, str) or not ID_RE.match(cap_id) or cap_id in seen:
            raise PolicyError(f"{here}：id 缺失、格式无效（小写字母、数字、下划线）或重复")
        seen.add(cap_id)
        label = str(item.get("label") or cap_id)
        if "amount" in item:
            if "rate" in item or "of" in item:
                raise PolicyError(f"{here}：amount 与 rate/of 只能二选一")
            caps.append(Cap(cap_id, label, amount_yuan=_yuan(item["amount"], "amount", here)))
        elif "rate" in item and "of" in item:
            caps.append(
                Cap(
                    cap_id,
                    label,
                    rate=_rate(item["rate"], "rate", here),
                    of=_money_field(item["of"], "of", here),
                )
            )
        else:
            raise PolicyError(f"{here}：上限应写 amount（固定金额），或 rate 与 of（比例 × 金额字段）")
    return tuple(caps)


def _bands(raw, where: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise PolicyError(f"{where}：bands 应为非空列表")
    bands = []
    for index, item in enumerate(raw):
        here = f"{where} bands[{index}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{here}：应为键值映射")
        _only(item, {"from", "to", "amount", "rate"}, here)
        lower = _number(item["from"], "from", here) if item.get("from") is not None else None
        upper = _number(item["to"], "to", here) if item.get("to") is not None else None
        if lower is not None and upper is not None and upper <= lower:
            raise PolicyError(f"{here}：to 应大于 from")
        if ("amount" in item) == ("rate" in item):
            raise PolicyError(f"{here}：每档应写 amount（固定金额）或 rate（比例）之一")
        if "amount" in item:
            bands.append(Band(lower, upper, amount_yuan=_yuan(item["amount"], "amount", here, allow_zero=True)))
        else:
            bands.append(Band(lower, upper, rate=_rate(item["rate"], "rate", here)))
    for index in range(1, len(bands)):
        prev, cur = bands[index - 1], bands[index]
        if prev.upper is None or cur.lower is None or cur.lower < prev.upper:
            raise PolicyError(f"{where} bands[{index}]：各档应按从低到高排列且互不重叠（下限含、上限不含）")
    return tuple(bands)


def _benefit(raw, where: str) -> Benefit:
    where = f"{where} benefit"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}：应为键值映射")
    kind = _choice(raw.get("kind"), BENEFIT_KINDS, "kind", where)
    allowed = {"kind", "caps", "min", "below_min", "label"} | {
        "fixed": {"amount"},
        "rate": {"base", "rate"},
        "bands": {"base", "bands"},
        "range": {"max", "pick"},
    }[kind]
    _only(raw, allowed, where)
    caps = _caps(raw.get("caps"), where)
    min_yuan = _yuan(raw["min"], "min", where) if raw.get("min") is not None else None
    below_min = _choice(raw.get("below_min", "reject"), BELOW_MIN, "below_min", where)
    if kind == "fixed":
        if "amount" not in raw:
            raise PolicyError(f"{where}：固定金额（fixed）须写 amount")
        return Benefit(
            kind,
            amount_yuan=_yuan(raw["amount"], "amount", where),
            caps=caps,
            min_yuan=min_yuan,
            below_min=below_min,
        )
    if kind == "rate":
        for key in ("base", "rate"):
            if key not in raw:
                raise PolicyError(f"{where}：比例（rate）须写 {key}")
        return Benefit(
            kind,
            base=_money_field(raw["base"], "base", where),
            rate=_rate(raw["rate"], "rate", where),
            caps=caps,
            min_yuan=min_yuan,
            below_min=below_min,
        )
    if kind == "bands":
        base = raw.get("base")
        from kechuang.engine.policies import inputs

        if not isinstance(base, str) or not base:
            raise PolicyError(f"{where}：分档（bands）须写 base（分档依据的字段）")
        bands = _bands(raw.get("bands"), where)
        if any(b.rate for b in bands) and not inputs.is_money(base):
            raise PolicyError(f"{where}：按比例计算的档位要求 base 为金额字段")
        return Benefit(kind, base=base, bands=bands, caps=caps, min_yuan=min_yuan, below_min=below_min)
    for key in ("min", "max"):
        if raw.get(key) is None:
            raise PolicyError(f"{where}：区间（range）须写 {key}（万元）")
    max_yuan = _yuan(raw["max"], "max", where)
    if max_yuan < min_yuan:
        raise PolicyError(f"{where}：max 不能小于 min")
    return Benefit(
        kind,
        min_yuan=min_yuan,
        max_yuan=max_yuan,
        pick=_choice(raw.get("pick", "highest"), PICKS, "pick", where),
        below_min=below_min,
        caps=caps,
    )


def _limits(raw, where: str) -> Limits:
    where = f"{where} limits"
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}：应为键值映射")
    _only(raw, {"one_off", "per_firm", "per_year"}, where)
    one_off = raw.get("one_off", False)
    if not isinstance(one_off, bool):
        raise PolicyError(f"{where}：one_off 应为 true 或 false")
    return Limits(
        one_off=one_off,
        per_firm_yuan=_yuan(raw["per_firm"], "per_firm", where) if raw.get("per_firm") is not None else None,
        per_year_yuan=_yuan(raw["per_year"], "per_year", where) if raw.get("per_year") is not None else None,
    )


def _budget(raw, where: str) -> Budget:
    where = f"{where} budget"
    if raw is None:
        return Budget()
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}：应为键值映射")
    _only(raw, {"by_year", "allocation"}, where)
    by_year = {}
    for year, amount in (raw.get("by_year") or {}).items():
        try:
            year_int = int(year)
        except (TypeError, ValueError):
            raise PolicyError(f"{where}：by_year 的键“{year}”应为年度（如 2025）") from None
        by_year[year_int] = _yuan(amount, f"by_year.{year}", where, allow_zero=True)
    alloc = raw.get("allocation") or {}
    if not isinstance(alloc, dict):
        raise PolicyError(f"{where}：allocation 应为键值映射")
    _only(alloc, {"method", "rank_by", "order", "partial"}, f"{where} allocation")
    method = _choice(alloc.get("method", "pro_rata"), ALLOCATIONS, "allocation.method", where)
    rank_by = alloc.get("rank_by")
    if method == "ranking" and not isinstance(rank_by, str):
        raise PolicyError(f"{where}：按排序分配（ranking）须写 allocation.rank_by（排序依据的字段）")
    partial = alloc.get("partial", True)
    if not isinstance(partial, bool):
        raise PolicyError(f"{where}：allocation.partial 应为 true 或 false")
    return Budget(
        by_year,
        Allocation(method, rank_by, _choice(alloc.get("order", "desc"), ORDERS, "allocation.order", where), partial),
    )


def validate_version(version: dict, where: str = "政策版本", compile_check=_DEFAULT) -> PolicyVersion:
    """Check a resolved version dict; return it typed.
    `compile_check(text)` may raise to reject a condition (default: the language plus known field names)."""
    compile_check = _default_check(compile_check)
    if not isinstance(version, dict):
        raise PolicyError(f"{where}：应为键值映射")
    _only(version, VERSION_KEYS, where)
    for key in REQUIRED_KEYS:
        if version.get(key) in (None, "", []):
            raise PolicyError(f"{where}：缺少必填项 {key}")
    policy_id = version["id"]
    if not isinstance(policy_id, str) or not ID_RE.match(policy_id):
        raise PolicyError(f"{where}：id“{policy_id}”格式无效（小写字母开头，仅含小写字母、数字、下划线）")
    _choice(version["delivery"], tuple(DELIVERIES), "delivery", where)
    _choice(version["verification"], VERIFICATIONS, "verification", where)
    start = _date(version["effective_from"], "effective_from", where)
    end = _date(version["effective_to"], "effective_to", where) if version.get("effective_to") else None
    if end is not None and end < start:
        raise PolicyError(f"{where}：effective_to 早于 effective_from")
    facts_year = _choice(version.get("facts_year", "last"), FACTS_YEARS, "facts_year", where)
    conditions = version["eligibility"]
    if not isinstance(conditions, list):
        raise PolicyError(f"{where}：eligibility 应为条件列表")
    typed, seen = [], set()
    for index, item in enumerate(conditions):
        here = f"{where} eligibility[{index}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{here}：应为键值映射（id、label、when）")
        _only(item, {"id", "label", "when"}, here)
        cond_id = item.get("id")
        if not isinstance(cond_id, str) or not ID_RE.match(cond_id):
            raise PolicyError(f"{here}：id 缺失或格式无效（小写字母、数字、下划线）")
        if cond_id in seen or cond_id in ("amount_min", "already_received", "limit_reached"):
            raise PolicyError(f"{here}：条件 id“{cond_id}”重复或为保留字")
        seen.add(cond_id)
        when = item.get("when")
        if not isinstance(when, str) or not when.strip():
            raise PolicyError(f"{here}：when（条件表达式）不能为空")
        if compile_check is not None:
            try:
                compile_check(when)
            except Exception as exc:  # the condition language's own (Chinese) message
                raise PolicyError(f"{here}：条件表达式无效：{getattr(exc, 'message', exc)}") from None
        typed.append(Condition(cond_id, str(item.get("label") or cond_id), when))
    benefit = _benefit(version["benefit"], where)
    limits = _limits(version.get("limits"), where)
    budget = _budget(version.get("budget"), where)
    group = version.get("stacking_group")
    if group is not None and (not isinstance(group, str) or not ID_RE.match(group)):
        raise PolicyError(f"{where}：stacking_group“{group}”格式无效")
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
