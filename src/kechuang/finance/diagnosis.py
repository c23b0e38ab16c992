"""The diagnosis's loan products (a provider for kechuang.points.policies): the products the region profile
offers, with the finder's conclusion for the firm.

Policy: only products whose rule the bureau chose in the region profile are listed (another city's example
rule shipped for reference never reaches a firm's diagnosis); without a profile, every product on offer. A
product the firm clearly does not qualify for is left out (the list recommends, it does not reject); the
product behind the indicative credit line is listed by that line already.
"""

from __future__ import annotations

from django.utils import timezone

from kechuang.engine.ruledata import RuleDataError
from kechuang.enterprises.models import Enterprise
from kechuang.rules import region
from kechuang.rules import selectors as rule_selectors

from . import services
from .models import LoanProduct

SHOWN = ("qualifies", "near")


def offered_products():
    """The active products of the rules the region profile chose (every active product without a profile)."""
    qs = LoanProduct.objects.filter(status=LoanProduct.Status.ACTIVE).select_related("bank").order_by("code")
    chosen = region.chosen_products()
    return qs if chosen is None else qs.filter(rule_id__in=chosen)


def _in_force(rule_id: str, on) -> bool:
    try:
        rule_selectors.rule_in_force("loan_product", rule_id, on)
    except RuleDataError:
        return False
    return True


def products(enterprise, result=None, run=None) -> list[dict]:
    credit_rule = (getattr(run, "credit_rule", "") or "").partition("@")[0]
    offered = [p for p in offered_products() if p.rule_id != credit_rule]
    if not offered:
        return []
    on = timezone.localdate()  # what a firm can apply for now, on its latest figures
    offered = [p for p in offered if _in_force(p.rule_id, on)]
    if not offered:
        return []
    rows, terms = services.finder(Enterprise.objects.filter(pk=enterprise.pk), offered, on)
    if rows is None:
        return []
    by_code = {p.code: p for p in offered}
    rules = {t.key: t.doc for t in terms}
    items = []
    for row in rows.filter(rows["status"].is_in(SHOWN)).iter_rows(named=True):
        product = by_code[row["product"]]
        items.append(
            {
                "kind": "loan",
                "label": f"{product.name}（{product.bank.name}）",
                "status": row["status"],
                "amount": row["limit"],
                "explanation": row["explanation"] or "",
                "source": f"{rules[row['product']].name}（{rules[row['product']].effective_from:%Y-%m-%d} 版）",
            }
        )
    return items
