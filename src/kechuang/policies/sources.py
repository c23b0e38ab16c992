"""Where each value a policy reads comes from: the firm's own yearly figures, or a record the platform keeps.

Policy: a value is either
- **entered by the firm**: a yearly facts column (facts.ANNUAL_NAMES: the figures form an enterprise user submits,
  the figures API and the import template all read exactly these), so 我的政策 asks the firm to fill it in; or
- **read from a platform record** (`PLATFORM`): the registry of carriers, the finance app's loans, the points
  and tier runs, the firm's registration kept by the bureau, the date of the decision. 我的政策 never asks a firm
  for these; where the record has nothing it says which record, so the firm knows whom to ask.
A record wins over a declared value where both exist (valley residency: loaders.panel). Every input of every
policy must have one of the two (tests/policies/test_sources.py), so a new policy cannot ask for a value nobody
can supply.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kechuang.engine import facts
from kechuang.engine.policies.evaluate import TIER_PREFIX

REGISTRATION = _("企业登记信息（由科技局维护）")
PLATFORM = {
    "valley_resident": _("载体入驻登记"),
    "carrier": _("载体入驻登记"),
    "loan_amount": _("金融服务的贷款记录"),
    "guarantee_fee_paid": _("金融服务的贷款记录"),
    "risk_compensation_due": _("风险补偿资金池的代偿记录"),
    "points_rank_prev_year": _("上一年度创新积分评价结果"),
    "year": _("评价基准日"),
    **{name: REGISTRATION for name in facts.STATIC_NAMES},
}
TIERS = _("企业梯队评价结果")


def platform_source(name: str):
    """The record a value is read from (Chinese), or None when the firm enters it."""
    if name.startswith(TIER_PREFIX):
        return TIERS
    return PLATFORM.get(name)


def firm_enters(name: str) -> bool:
    return platform_source(name) is None and name in facts.ANNUAL_NAMES


def split_missing(missing: str) -> tuple[list[str], list[tuple[str, object]]]:
    """A result's `missing` (";"-joined names) → (names the firm can fill in, [(name, record)] the platform
    lacks)."""
    enter, records = [], []
    for name in [n for n in (missing or "").split(";") if n]:
        source = platform_source(name)
        if source is None:
            enter.append(name)
        else:
            records.append((name, source))
    return enter, records
