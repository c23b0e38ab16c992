"""The bureau's region profile: read it (every app that shows local content) and set it (a bureau admin).

Policy:
- What the profile names is what applies: the tier variant per tier (a tier it leaves out takes its rule file's
  default), the loan products the diagnosis and banners show (by product rule id), the fee waivers announced.
- Before a bureau admin has set it, nothing is filtered (a fresh install shows every shipped product) and the
  pages say the profile is not set.
- Every choice is checked against what exists on the day (variants of tiers in force, product rules, policies);
  a bad value is refused with a Chinese message and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine.finance import rules as _finance_rules  # noqa: F401  (registers the loan_product kind)
from kechuang.engine.ruledata import RuleDataError, rulebook
from kechuang.engine.tiers.model import rulesets_in_force, variants

from . import selectors
from .models import RegionProfile

CODE = re.compile(r"^\d{6}$")


def code_problem(code: str) -> str:
    return _("行政区划代码应为 6 位数字（如太原市 140100），收到“%(c)s”") % {"c": code}


def profile() -> RegionProfile | None:
    """The region profile, or None before a bureau admin has set it."""
    return RegionProfile.objects.select_related("updated_by").order_by("pk").first()


def home_regions(regions):
    """`regions` (a Region queryset) narrowed to the profile's region, its ancestors and everything under it:
    what a region filter offers (a Taiyuan bureau is not offered 泰州's districts). All of them without a profile."""
    current = profile()
    if current is None:
        return regions
    prefix = current.code.rstrip("0")
    prefix += "0" * (len(prefix) % 2)  # whole levels: 140100 → 1401, 140000 → 14, 140105 → 140105
    ancestors = [prefix[:n].ljust(6, "0") for n in range(2, len(prefix), 2)]
    return regions.filter(Q(code__startswith=prefix) | Q(code__in=ancestors))


def tier_local_set() -> dict[str, str] | None:
    """The profile's variant per tier (what a tier run uses when none is named); None without a profile."""
    current = profile()
    return dict(current.tier_variants) if current and current.tier_variants else None


def chosen_products() -> list[str] | None:
    """The product rule ids the bureau offers and recommends; None without a profile (nothing filtered)."""
    current = profile()
    return list(current.products) if current else None


# ------------------------------------------------------------------------------------------------ choices


def variant_choices(on: dt.date) -> dict[str, list[tuple[str, str]]]:
    """Tier id → [(variant, rule set name)] for the tiers that have local alternatives on `on`."""
    return {
        tier: [(r.variant, r.name) for r in sorted(options, key=lambda r: (not r.default, r.variant))]
        for tier, options in sorted(variants(on).items())
    }


def single_local_rules(on: dt.date) -> list[str]:
    """Names of the local rule sets in force on `on` that are their tier's only one (another city's rule the
    region uses until it has its own: 潜在瞪羚 from 广州黄埔, 独角兽 from 宿迁)."""
    alternatives = variants(on)
    return [r.name for r in rulesets_in_force(on) if r.variant != "national" and r.tier not in alternatives]


def product_choices(on: dt.date) -> list[tuple[str, str]]:
    """(rule id, name) of every loan product rule in force on `on`."""
    out = []
    for rule_id in rulebook("loan_product").ids():
        try:
            out.append((rule_id, selectors.rule_in_force("loan_product", rule_id, on).name))
        except RuleDataError:  # not in force that day
            continue
    return out


def waiver_choices() -> list[tuple[str, str]]:
    """(code, name) of the policies in the library (a waiver is a policy the bureau says applies here)."""
    from kechuang.policies.models import Policy

    return list(Policy.objects.order_by("code").values_list("code", "name"))


# ------------------------------------------------------------------------------------------------ writes


def save_profile(
    *,
    user,
    name: str,
    code: str,
    tier_variants: dict[str, str],
    products: list[str],
    waivers: list[str],
    on: dt.date,
) -> RegionProfile:
    """A bureau admin sets the region profile; audited as `region_profile.update` with old → new."""
    if not getattr(user, "can_admin", False):
        raise PermissionDenied(_("只有科技局管理员可以设置地区配置"))
    name, code = (name or "").strip(), (code or "").strip()
    problems = []
    if not name:
        problems.append(_("请填写地区名称"))
    if not CODE.match(code):
        problems.append(code_problem(code))
    known_variants = variant_choices(on)
    for tier, variant in tier_variants.items():
        names = dict(known_variants.get(tier, []))
        if variant and variant not in names:
            problems.append(_("梯队“%(t)s”没有地方规则“%(v)s”") % {"t": tier, "v": variant})
    known_products = dict(product_choices(on))
    unknown = [p for p in products if p not in known_products]
    if unknown:
        problems.append(_("没有这些金融产品规则：%(p)s") % {"p": "、".join(unknown)})
    if not products:
        problems.append(_("请至少选择一个本地区提供的金融产品"))
    known_waivers = dict(waiver_choices())
    unknown = [w for w in waivers if w not in known_waivers]
    if unknown:
        problems.append(_("政策库中没有这些政策：%(p)s") % {"p": "、".join(unknown)})
    if problems:
        raise ValidationError(problems)
    new = {
        "name": name,
        "code": code,
        "tier_variants": {t: v for t, v in sorted(tier_variants.items()) if v},
        "products": sorted(set(products)),
        "waivers": sorted(set(waivers)),
    }
    with transaction.atomic():
        current = RegionProfile.objects.select_for_update().order_by("pk").first()
        old = {k: getattr(current, k) for k in new} if current else dict.fromkeys(new)
        if current is None:
            current = RegionProfile(**new, updated_by=user)
        else:
            for k, v in new.items():
                setattr(current, k, v)
            current.updated_by = user
        current.save()
        shown = _readable(on, known_variants, known_products, known_waivers)
        audit.record(
            actor=user,
            action="region_profile.update",
            obj=current,
            changes={k: [shown(k, old[k]), shown(k, v)] for k, v in new.items() if old[k] != v},
            note=_("地区配置：%(n)s（%(c)s）；推荐产品 %(p)s")
            % {"n": name, "c": code, "p": "、".join(new["products"])},
        )
    return current


def _readable(on, known_variants, known_products, known_waivers):
    """The audit's old → new in words: rule set, product and policy names, not ids and JSON."""

    def shown(key: str, value):
        if value is None or key in ("name", "code"):
            return value
        if key == "tier_variants":
            return "、".join(dict(known_variants.get(t, [])).get(v, v) for t, v in value.items()) or "默认"
        names = known_products if key == "products" else known_waivers
        return "、".join(names.get(i, i) for i in value) or "无"

    return shown


def banner() -> dict | None:
    """What the leaderboard says points are good for here: the region's products and waivers by name
    (None before the profile is set: a banner naming shipped examples would name another city's)."""
    from kechuang.finance.diagnosis import offered_products
    from kechuang.policies.models import Policy

    current = profile()
    if current is None:
        return None
    return {
        "region": current.name,
        "products": [f"{p.name}（{p.bank.name}）" for p in offered_products()],
        "waivers": list(
            Policy.objects.filter(code__in=current.waivers).order_by("code").values_list("name", flat=True)
        ),
    }
