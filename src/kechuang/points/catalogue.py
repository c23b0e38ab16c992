"""The diagnosis service catalogue (rulesets/points/services.yaml): which services to recommend to a firm.

Policy:
- The catalogue is data: each service lists trigger conditions (`when_any`) on the firm's points explanation
  (normalised scores, stage percentiles, unknown indicators) and on its tier results (gaps, near misses).
- Unknown is not weak: an indicator whose score or percentile is unknown never triggers `score_below` or
  `percentile_below`; only `unknown: true` / `missing_any` speak about missing data.
- Bounds exclude the boundary ("低于 0.5" is score < 0.5). Every recommendation carries its reasons
  in Chinese.
- Matching is per firm (a diagnosis is one firm's document); it reads only the dicts handed in, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kechuang.engine.points import SchemeError
from kechuang.engine.points.registry import RULESETS_DIR

CATALOGUE_PATH = RULESETS_DIR / "services.yaml"
TRIGGER_KEYS = ("score_below", "percentile_below", "unknown")


@dataclass(frozen=True)
class Service:
    id: str
    label: str
    category: str
    provider: str
    description: str
    stages: tuple[str, ...]
    when_any: tuple[dict, ...]


def catalogue_from_dict(data: dict) -> list[Service]:
    errors: list[str] = []
    out = []
    for i, raw in enumerate(data.get("services") or [], start=1):
        sid = str(raw.get("id") or "")
        where = f"服务 {sid or i}"
        if not sid or not raw.get("label"):
            errors.append(f"{where}：缺少编号 id 或名称 label")
        triggers = raw.get("when_any") or []
        if not triggers:
            errors.append(f"{where}：至少需要一个触发条件 when_any")
        for t in triggers:
            if not isinstance(t, dict):
                errors.append(f"{where}：触发条件格式有误：{t}")
            elif "indicator" in t:
                if not any(k in t for k in TRIGGER_KEYS):
                    errors.append(f"{where}：指标条件须含 score_below、percentile_below 或 unknown 之一")
            elif not ({"gap_field", "near_miss", "missing_any"} & set(t)):
                errors.append(f"{where}：触发条件应为 indicator、gap_field、near_miss 或 missing_any")
        out.append(
            Service(
                sid,
                str(raw.get("label") or sid),
                str(raw.get("category") or ""),
                str(raw.get("provider") or ""),
                str(raw.get("description") or ""),
                tuple(raw.get("stages") or ()),
                tuple(triggers),
            )
        )
    if errors:
        raise SchemeError(errors, where=" 服务目录 ")
    return out


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_PATH) -> tuple[Service, ...]:
    return tuple(catalogue_from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8"))))


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _reason(trigger: dict, indicators: dict, tiers: dict, missing_labels: list[str], gap_tiers) -> str | None:
    if "indicator" in trigger:
        ind = indicators.get(trigger["indicator"])
        if ind is None:
            return None
        if trigger.get("unknown") and not ind["known"]:
            return f"{ind['label']}未知（缺数据）"
        score = ind.get("normalised")
        if "score_below" in trigger and ind["known"] and score is not None and score < trigger["score_below"]:
            return f"{ind['label']}得分率 {_pct(score)}，低于 {_pct(trigger['score_below'])}"
        q = ind.get("stage_percentile")
        if "percentile_below" in trigger and q is not None and q < trigger["percentile_below"]:
            return f"{ind['label']}在同阶段企业中处于第 {q:.0f} 百分位，低于 {trigger['percentile_below']:g}"
        return None
    if trigger.get("missing_any") and missing_labels:
        return "缺少数据的指标：" + "、".join(missing_labels)
    if "gap_field" in trigger:
        for tier in tiers.values():
            if tier["qualified"] == "true" or (gap_tiers is not None and tier["tier"] not in gap_tiers):
                continue
            for gap in tier["gaps"]:
                if gap.get("field") == trigger["gap_field"]:
                    return f"{tier['label']}：{gap.get('text') or gap.get('condition')}"
        return None
    if "near_miss" in trigger:
        tier = tiers.get(trigger["near_miss"])
        if tier and tier["qualified"] == "false":
            failed = tier["failed"]
            if 0 < len(failed) <= trigger.get("max_failed", 1):
                return f"{tier['label']}仅差 {len(failed)} 项条件（{'、'.join(failed)}）"
    return None


def match_services(explanation: dict, tiers: dict, catalogue=None, gap_tiers=None) -> list[dict]:
    """Services for one firm, in catalogue order, each with its reasons.

    explanation: `explain_firm` output; tiers: {tier: {tier, label, qualified, failed: [..], gaps: [..]}};
    gap_tiers: the tiers whose gaps count for `gap_field` (the diagnosis passes the next pipeline level, so a
    seedling is not sent to R&D coaching for a 小巨人 threshold); None = every tier not yet qualified.
    """
    indicators = {i["id"]: i for i in explanation["indicators"]}
    out = []
    for service in catalogue if catalogue is not None else load_catalogue():
        if service.stages and explanation.get("stage") not in service.stages:
            continue
        reasons = [
            r
            for t in service.when_any
            if (r := _reason(t, indicators, tiers, explanation["missing_labels"], gap_tiers))
        ]
        if reasons:
            out.append(
                {
                    "id": service.id,
                    "label": service.label,
                    "category": service.category,
                    "provider": service.provider,
                    "description": service.description,
                    "reasons": reasons,
                }
            )
    return out
