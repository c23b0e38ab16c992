"""Points schemes: the configuration of an innovation-points (创新积分) system, and its validation.

Policy:
- A scheme is data (YAML or a dict), never code. It names its indicators, the stage rule, the per-stage
  weights, each indicator's normalisation, the leaderboard lists and the rankings to compute.
- Every normalised score lies in [0, 1]. A weighted indicator contributes `weight[stage] × score`; the
  weights of each stage sum to exactly 100 (checked with decimals, not floats). Bonus indicators add
  `points × score`, negative indicators subtract it; they sit outside the 100.
- Validation collects every problem and raises one `SchemeError` whose messages are Chinese and name the
  place ("指标 rd_expense：…"), so a bureau editing a copy of the YAML can fix all of them in one pass.
- Versions: a scheme id may have several versions, each with `effective_from` (and optionally
  `effective_to`, inclusive); `select_version` picks the one in force on an as-of date.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import yaml

from kechuang.engine.ruledata import in_force

GROUPS_DEFAULT = {
    "tech_innovation": "技术创新",
    "growth_operation": "成长经营",
    "auxiliary": "辅助",
    "extension": "拓展",
    "bonus": "加分",
    "negative": "减分",
}
KINDS = ("weighted", "bonus", "negative")
UNITS = ("percent", "wan", "count", "number", "bool", "ratio")
METHODS = ("bands", "share", "percentile", "minmax", "flag")
COHORT_REFERENCES = ("mean", "median", "max")
VERIFICATION_FLAGS = ("V", "P", "U")


class SchemeError(ValueError):
    """An invalid scheme. `errors` lists every problem found, each a Chinese sentence."""

    def __init__(self, errors: list[str], where: str = ""):
        self.errors = list(errors)
        head = (
            f"积分方案{where}配置有误（共 {len(errors)} 处）："
            if where
            else f"积分方案配置有误（共 {len(errors)} 处）："
        )
        super().__init__(head + "\n" + "\n".join(f"- {e}" for e in self.errors))


@dataclass(frozen=True)
class Band:
    min: float | None  # inclusive lower bound (≥ min); None = no lower bound
    score: float


@dataclass(frozen=True)
class Normalisation:
    method: str
    bands: tuple[Band, ...] = ()  # bands, sorted by min descending (first match wins)
    # share: score = clip(value / reference, 0, cap) / cap. `reference` is a number, or per stage, or a
    # statistic of the stage cohort (`cohort`: mean/median/max of the known positive values).
    reference: float | None = None
    reference_by_stage: dict[str, float] = field(default_factory=dict)
    cohort: str | None = None
    cap: float = 1.0


@dataclass(frozen=True)
class Value:
    """How the raw value is read from the derived frame: one field, a ratio of two, or any-true of flags."""

    field: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    any_true: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # sum of fields, e.g. this and last year's count

    def inputs(self) -> tuple[str, ...]:
        if self.field:
            return (self.field,)
        if self.numerator:
            return (self.numerator, self.denominator or "")
        return self.terms or self.any_true


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    group: str
    kind: str  # weighted | bonus | negative
    core: bool
    value: Value
    unit: str
    normalise: Normalisation
    points: float | None = None  # bonus/negative: the points at score 1
    note: str = ""


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    min: float | None  # inclusive lower bound on the stage field


@dataclass(frozen=True)
class StageRule:
    field: str
    label: str
    unit: str
    stages: tuple[Stage, ...]  # ascending by min
    unknown: str | None = None  # stage used when the field is unknown; None → the firm is not scored


@dataclass(frozen=True)
class ListTier:
    id: str
    label: str
    top: Fraction  # cumulative share from the top, e.g. 0.05; exact, so rank ≤ top × n has no float error


@dataclass(frozen=True)
class Scheme:
    id: str
    version: str
    name: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    verification: str
    weights_official: bool
    weights_note: str
    precision: int
    stage_rule: StageRule
    groups: dict[str, str]
    indicators: tuple[Indicator, ...]
    weights: dict[str, dict[str, float]]  # stage → indicator → weight (weighted indicators only)
    lists_within: str  # "stage" or "overall"
    lists: tuple[ListTier, ...]
    industry_digits: int
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stage_rule.stages)

    @property
    def stage_labels(self) -> dict[str, str]:
        return {s.id: s.label for s in self.stage_rule.stages}

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def max_points(self, stage: str, indicator: Indicator) -> float:
        """Points at normalised score 1 (negative for a negative indicator)."""
        if indicator.kind == "weighted":
            return self.weights[stage][indicator.id]
        return -indicator.points if indicator.kind == "negative" else indicator.points

    def input_fields(self) -> set[str]:
        names = {self.stage_rule.field}
        for ind in self.indicators:
            names.update(n for n in ind.value.inputs() if n)
        return names

    def to_dict(self) -> dict:
        """The scheme as loaded (a deep copy of the source dict), e.g. to save as a new version."""
        import copy

        return copy.deepcopy(self.raw)


# --------------------------------------------------------------------------------------------------
# Loading


def load_scheme_file(path: str | Path) -> list[Scheme]:
    """Read a YAML file holding one scheme (a mapping) or several versions (`versions:` list)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemeError([f"YAML 格式错误：{exc}"], where=f"文件 {path.name} ") from None
    if isinstance(data, dict) and "versions" in data:
        base = {k: v for k, v in data.items() if k != "versions"}
        return [scheme_from_dict({**base, **v}) for v in data["versions"]]
    return [scheme_from_dict(data)]


def select_version(schemes: list[Scheme], scheme_id: str, as_of: dt.date) -> Scheme:
    """The version of `scheme_id` in force on `as_of` (`ruledata.in_force`: the latest effective_from ≤ as_of)."""
    found = in_force((s for s in schemes if s.id == scheme_id), as_of)
    if found is None:
        known = sorted({s.key for s in schemes if s.id == scheme_id})
        hint = f"已有版本：{'、'.join(known)}" if known else "没有该编号的方案"
        raise SchemeError([f"方案 {scheme_id} 在 {as_of.isoformat()} 没有生效的版本（{hint}）"])
    return found


def _num(value, where: str, errors: list[str], *, allow_none: bool = False) -> float | None:
    if value is None:
        if allow_none:
            return None
        errors.append(f"{where} 缺少数值")
        return None
    if isinstance(value, bool):
        errors.append(f"{where} 应为数字，现为“{value}”")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.append(f"{where} 应为数字，现为“{value}”")
        return None
    if not number.is_finite():
        errors.append(f"{where} 应为有限数字")
        return None
    return float(number)


def _date(value, where: str, errors: list[str]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{where} 应为 YYYY-MM-DD 格式的日期，现为“{value}”")
        return None


def scheme_from_dict(data: dict) -> Scheme:  # noqa: C901
    """Build and validate a scheme from a dict (as read from YAML); SchemeError lists every problem."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise SchemeError(["方案应为键值结构（YAML 映射）"])
    sid = str(data.get("id") or "").strip()
    if not sid:
        errors.append("缺少方案编号 id")
    eff_from = _date(data.get("effective_from"), "生效日期 effective_from", errors)
    if data.get("effective_from") is None:
        errors.append("缺少生效日期 effective_from")
    eff_to = _date(data.get("effective_to"), "失效日期 effective_to", errors)
    if eff_from and eff_to and eff_to < eff_from:
        errors.append(f"失效日期 {eff_to} 早于生效日期 {eff_from}")
    version = str(data.get("version") or (eff_from.isoformat() if eff_from else ""))
    verification = str(data.get("verification") or "U")
    if verification not in VERIFICATION_FLAGS:
        errors.append(f"核实标记 verification 应为 V、P 或 U，现为“{verification}”")
    weights_official = data.get("weights_official")
    if not isinstance(weights_official, bool):
        errors.append("必须用 weights_official: true/false 说明权重是否为官方权重（官方权重未公开时填 false）")
        weights_official = False
    weights_note = str(data.get("weights_note") or "")
    if not weights_official and not weights_note:
        errors.append("权重非官方时必须填写 weights_note，供页面向用户说明")
    precision = data.get("precision", 2)
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 6:
        errors.append(f"小数位数 precision 应为 0–6 的整数，现为“{precision}”")
        precision = 2

    groups = dict(GROUPS_DEFAULT)
    for g in data.get("groups") or []:
        if not isinstance(g, dict) or not g.get("id"):
            errors.append(f"指标分组定义有误：{g}")
            continue
        groups[str(g["id"])] = str(g.get("label") or g["id"])

    stage_rule = _stage_rule(data.get("stage_rule"), errors)
    stage_ids = [s.id for s in stage_rule.stages] if stage_rule else []

    indicators: list[Indicator] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("indicators") or [], start=1):
        ind = _indicator(raw, i, groups, stage_ids, errors)
        if ind is None:
            continue
        if ind.id in seen:
            errors.append(f"指标编号 {ind.id} 重复")
        seen.add(ind.id)
        indicators.append(ind)
    if not data.get("indicators"):
        errors.append("方案至少需要一个指标 indicators")

    weights = _weights(data.get("weights"), stage_ids, indicators, errors)
    lists_within, lists = _lists(data.get("lists"), errors)
    rankings = data.get("rankings") or {}
    industry_digits = rankings.get("industry_digits", 2)
    if industry_digits not in (1, 2, 3, 4):
        errors.append(f"行业排名的行业代码位数 rankings.industry_digits 应为 1–4，现为“{industry_digits}”")
        industry_digits = 2

    where = f" {sid}@{version} " if sid else ""
    if errors:
        raise SchemeError(errors, where=where)
    return Scheme(
        id=sid,
        version=version,
        name=str(data.get("name") or sid),
        effective_from=eff_from,
        effective_to=eff_to,
        source=str(data.get("source") or ""),
        verification=verification,
        weights_official=weights_official,
        weights_note=weights_note,
        precision=precision,
        stage_rule=stage_rule,
        groups=groups,
        indicators=tuple(indicators),
        weights=weights,
        lists_within=lists_within,
        lists=lists,
        industry_digits=industry_digits,
        raw=data,
    )


def _stage_rule(raw, errors: list[str]) -> StageRule | None:
    if not isinstance(raw, dict):
        errors.append("缺少阶段划分规则 stage_rule（如按营业收入划分初创期/成长期/稳定期）")
        return None
    fld = str(raw.get("field") or "")
    if not fld:
        errors.append("阶段划分规则缺少字段 stage_rule.field")
    stages: list[Stage] = []
    for i, s in enumerate(raw.get("stages") or [], start=1):
        if not isinstance(s, dict) or not s.get("id"):
            errors.append(f"第 {i} 个阶段缺少编号 id")
            continue
        lo = _num(s.get("min"), f"阶段 {s['id']} 的下限 min", errors, allow_none=True)
        stages.append(Stage(str(s["id"]), str(s.get("label") or s["id"]), lo))
    if not stages:
        errors.append("阶段划分规则至少需要一个阶段 stage_rule.stages")
    else:
        if stages[0].min is not None:
            errors.append(f"第一个阶段 {stages[0].id} 的下限 min 应留空（表示无下限），否则部分企业无阶段")
        for prev, cur in itertools.pairwise(stages):
            if cur.min is None or (prev.min is not None and cur.min <= prev.min):
                errors.append(f"阶段 {cur.id} 的下限 min 必须大于前一阶段 {prev.id} 的下限（阶段按下限升序排列）")
        ids = [s.id for s in stages]
        if len(set(ids)) != len(ids):
            errors.append(f"阶段编号重复：{'、'.join(ids)}")
    unknown = raw.get("unknown")
    if unknown is not None and unknown not in [s.id for s in stages]:
        errors.append(f"stage_rule.unknown 指定的阶段 {unknown} 不存在")
    unit = str(raw.get("unit") or "number")
    if unit not in UNITS:
        errors.append(f"阶段字段单位 unit 应为 {'、'.join(UNITS)} 之一")
    return StageRule(fld, str(raw.get("label") or fld), unit, tuple(stages), unknown)


def _indicator(raw, i: int, groups: dict, stage_ids: list[str], errors: list[str]) -> Indicator | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        errors.append(f"第 {i} 个指标缺少编号 id")
        return None
    iid = str(raw["id"])
    where = f"指标 {iid}"
    if not iid.isidentifier() or iid != iid.lower():
        errors.append(f"{where}：编号只能用小写英文字母、数字和下划线（用作列名 c_{iid}）")
    label = str(raw.get("label") or "")
    if not label:
        errors.append(f"{where}：缺少中文名称 label")
    group = str(raw.get("group") or "")
    if group not in groups:
        errors.append(f"{where}：分组 group“{group}”未定义（可选：{'、'.join(groups)}）")
    kind = str(raw.get("kind") or "weighted")
    if kind not in KINDS:
        errors.append(f"{where}：类型 kind 应为 weighted（计权）、bonus（加分）或 negative（减分），现为“{kind}”")
    unit = str(raw.get("unit") or "number")
    if unit not in UNITS:
        errors.append(f"{where}：单位 unit 应为 {'、'.join(UNITS)} 之一，现为“{unit}”")
    value = _value(raw.get("value"), where, errors)
    norm = _normalisation(raw.get("normalise"), where, stage_ids, errors)
    points = None
    if kind in ("bonus", "negative"):
        points = _num(raw.get("points"), f"{where}：加减分值 points", errors)
        if points is not None and points <= 0:
            errors.append(f"{where}：加减分值 points 应为正数（减分指标也填正数，计算时扣减）")
    elif raw.get("points") is not None:
        errors.append(f"{where}：计权指标的分值由各阶段权重 weights 决定，不能填写 points")
    if value and value.any_true and norm and norm.method != "flag":
        errors.append(f"{where}：any_true 取值为是/否，赋分方法 normalise.method 只能为 flag")
    return Indicator(
        id=iid,
        label=label,
        group=group,
        kind=kind,
        core=bool(raw.get("core", False)),
        value=value,
        unit=unit,
        normalise=norm,
        points=points,
        note=str(raw.get("note") or ""),
    )


def _value(raw, where: str, errors: list[str]) -> Value | None:
    if isinstance(raw, str):
        return Value(field=raw)
    if not isinstance(raw, dict):
        errors.append(
            f"{where}：缺少取值 value（字段名，或 {{ratio: [分子, 分母]}}、{{sum: [字段…]}}、{{any_true: [字段…]}}）"
        )
        return None
    if "field" in raw:
        return Value(field=str(raw["field"]))
    if "ratio" in raw:
        pair = raw["ratio"]
        if not isinstance(pair, list) or len(pair) != 2:
            errors.append(f"{where}：ratio 应为 [分子字段, 分母字段]")
            return None
        return Value(numerator=str(pair[0]), denominator=str(pair[1]))
    if "any_true" in raw:
        names = raw["any_true"]
        if not isinstance(names, list) or not names:
            errors.append(f"{where}：any_true 应为字段列表")
            return None
        return Value(any_true=tuple(str(n) for n in names))
    if "sum" in raw:
        names = raw["sum"]
        if not isinstance(names, list) or not names:
            errors.append(f"{where}：sum 应为字段列表")
            return None
        return Value(terms=tuple(str(n) for n in names))
    errors.append(f"{where}：取值 value 只支持 field、ratio、sum、any_true")
    return None


def _normalisation(raw, where: str, stage_ids: list[str], errors: list[str]) -> Normalisation | None:  # noqa: C901
    if not isinstance(raw, dict) or raw.get("method") not in METHODS:
        errors.append(f"{where}：赋分方法 normalise.method 应为 {'、'.join(METHODS)} 之一")
        return None
    method = raw["method"]
    if method == "bands":
        bands: list[Band] = []
        for j, b in enumerate(raw.get("bands") or [], start=1):
            if not isinstance(b, dict):
                errors.append(f"{where}：第 {j} 档格式有误")
                continue
            lo = _num(b.get("min"), f"{where}：第 {j} 档下限 min", errors, allow_none=True)
            sc = _num(b.get("score"), f"{where}：第 {j} 档得分率 score", errors)
            if sc is not None and not 0 <= sc <= 1:
                errors.append(f"{where}：第 {j} 档得分率 score 应在 0 到 1 之间（1 表示满分），现为 {sc:g}")
            bands.append(Band(lo, sc if sc is not None else 0.0))
        if not bands:
            errors.append(f"{where}：分档赋分至少需要一档 bands")
        lows = [b.min for b in bands]
        if None in lows[:-1] or (bands and lows[-1] is not None):
            errors.append(f"{where}：分档须按下限从高到低排列，最后一档下限留空（表示其余取值）")
        else:
            numeric = [x for x in lows if x is not None]
            if any(a <= b for a, b in itertools.pairwise(numeric)):
                errors.append(f"{where}：分档下限必须从高到低严格递减")
        return Normalisation("bands", bands=tuple(bands))
    if method == "share":
        cap = _num(raw.get("cap", 1), f"{where}：封顶倍数 cap", errors)
        if cap is not None and cap <= 0:
            errors.append(f"{where}：封顶倍数 cap 应为正数")
        ref = raw.get("reference")
        if isinstance(ref, dict) and "cohort" in ref:
            stat = ref["cohort"]
            if stat not in COHORT_REFERENCES:
                errors.append(f"{where}：参照值 reference.cohort 应为 {'、'.join(COHORT_REFERENCES)} 之一")
            return Normalisation("share", cohort=stat, cap=cap or 1.0)
        if isinstance(ref, dict):
            by_stage = {}
            for st in stage_ids:
                v = _num(ref.get(st), f"{where}：阶段 {st} 的参照值 reference", errors)
                if v is not None and v <= 0:
                    errors.append(f"{where}：阶段 {st} 的参照值 reference 应为正数")
                by_stage[st] = v if v is not None else 1.0
            extra = set(ref) - set(stage_ids)
            if extra:
                errors.append(f"{where}：参照值中有未定义的阶段：{'、'.join(sorted(extra))}")
            return Normalisation("share", reference_by_stage=by_stage, cap=cap or 1.0)
        v = _num(ref, f"{where}：参照值 reference", errors)
        if v is not None and v <= 0:
            errors.append(f"{where}：参照值 reference 应为正数")
        return Normalisation("share", reference=v or 1.0, cap=cap or 1.0)
    return Normalisation(method)


def _weights(raw, stage_ids: list[str], indicators: list[Indicator], errors: list[str]) -> dict:
    weighted = [i.id for i in indicators if i.kind == "weighted"]
    out: dict[str, dict[str, float]] = {}
    if not isinstance(raw, dict):
        errors.append("缺少各阶段权重 weights")
        return out
    for extra in sorted(set(raw) - set(stage_ids)):
        errors.append(f"权重 weights 中的阶段 {extra} 未在阶段划分规则中定义")
    for st in stage_ids:
        row = raw.get(st)
        if not isinstance(row, dict):
            errors.append(f"缺少阶段 {st} 的权重 weights.{st}")
            continue
        total = Decimal(0)
        ok = True
        stage_weights = {}
        for iid in weighted:
            w = row.get(iid)
            if w is None:
                errors.append(f"阶段 {st} 缺少指标 {iid} 的权重（不计分请填 0）")
                ok = False
                continue
            num = _num(w, f"阶段 {st} 指标 {iid} 的权重", errors)
            if num is None:
                ok = False
                continue
            if num < 0:
                errors.append(f"阶段 {st} 指标 {iid} 的权重不能为负数")
            total += Decimal(str(w))
            stage_weights[iid] = num
        for extra in sorted(set(row) - set(weighted)):
            errors.append(f"阶段 {st} 的权重中有未定义或非计权的指标 {extra}")
        if ok and total != 100:
            errors.append(f"阶段 {st} 的权重合计为 {total.normalize():f}，应为 100")
        out[st] = stage_weights
    return out


def _lists(raw, errors: list[str]) -> tuple[str, tuple[ListTier, ...]]:
    if raw is None:
        return "stage", ()
    within = str(raw.get("within") or "stage")
    if within not in ("stage", "overall"):
        errors.append(f"榜单范围 lists.within 应为 stage（分阶段）或 overall（全体），现为“{within}”")
    tiers = []
    last = Fraction(0)
    for j, t in enumerate(raw.get("tiers") or [], start=1):
        if not isinstance(t, dict) or not t.get("id"):
            errors.append(f"第 {j} 个榜单缺少编号 id")
            continue
        try:
            top = Fraction(str(t.get("top")))
        except (ValueError, ZeroDivisionError):
            errors.append(f"榜单 {t['id']} 的比例 top 应为 0 到 1 之间的小数（如 0.05 表示前 5%）")
            continue
        if not 0 < top <= 1:
            errors.append(f"榜单 {t['id']} 的比例 top 应在 0 到 1 之间（如 0.05 表示前 5%）")
        if top <= last:
            errors.append(f"榜单 {t['id']} 的比例 top 必须大于前一个榜单（榜单按前 x% 累计，从小到大排列）")
        last = max(last, top)
        tiers.append(ListTier(str(t["id"]), str(t.get("label") or t["id"]), top))
    return within, tuple(tiers)
