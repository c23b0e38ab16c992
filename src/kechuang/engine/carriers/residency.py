"""Residents of a carrier: where a team comes from (as the seeds count it) and the stage path.

Policy:
- Origin, as the field notes count residents: a team or firm from an in-province university or institute
  (`in_province`), from an institution outside the province (`out_of_province`), from overseas (`overseas`),
  or not from an institution at all (`none`). Overseas wins; then the firm's registered origin
  (local_institution_team and research_institute count in-province, external_institution_team out of
  province); then the team's institution (in the province or not). An institution team whose institution's
  province is unknown has an unknown origin (None), never `none`.
- Stages run 苗圃 → 孵化 → 加速 → 产业落地. A resident moves forward (stages may be skipped, e.g. a grown firm
  moves straight into acceleration), never back, and never to the stage it is in.
"""

from __future__ import annotations

STAGES = ("nursery", "incubation", "acceleration", "landing")
STAGE_LABELS = {"nursery": "苗圃", "incubation": "孵化", "acceleration": "加速", "landing": "产业落地"}
ORIGINS = ("in_province", "out_of_province", "overseas", "none")
ORIGIN_LABELS = {
    "in_province": "省内高校院所",
    "out_of_province": "省外高校院所",
    "overseas": "海外",
    "none": "非高校院所团队",
}
IN_PROVINCE_ORIGINS = ("local_institution_team", "research_institute")
OUT_OF_PROVINCE_ORIGINS = ("external_institution_team",)


def origin_of(
    enterprise_origin: str | None = None,
    has_institution: bool = False,
    institution_in_province: bool | None = None,
    overseas: bool = False,
) -> str | None:
    if overseas:
        return "overseas"
    if enterprise_origin in IN_PROVINCE_ORIGINS:
        return "in_province"
    if enterprise_origin in OUT_OF_PROVINCE_ORIGINS:
        return "out_of_province"
    if has_institution:
        if institution_in_province is None:
            return None
        return "in_province" if institution_in_province else "out_of_province"
    return "none"


def can_move(current: str | None, new: str) -> str | None:
    """None when a resident in stage `current` may move to `new`, else why not (Chinese)."""
    if new not in STAGES:
        return f"没有“{new}”这个阶段"
    if current is None or current == "":
        return None
    if new == current:
        return f"已处于{STAGE_LABELS[new]}阶段"
    if STAGES.index(new) < STAGES.index(current):
        return f"不能从{STAGE_LABELS[current]}退回{STAGE_LABELS[new]}（阶段只能向前：苗圃 → 孵化 → 加速 → 产业落地）"
    return None
