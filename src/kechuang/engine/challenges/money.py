"""Money of the challenge pool: splitting across funding sources, the points subsidy, and payment limits.

Policy:
- Amounts are Decimal 万元 with four places (1 元). A payment is split across the pool's sources by the pool's
  shares (e.g. province : city : institute = 1 : 1 : 1) with the largest-remainder method, so the parts always
  add up to the payment exactly; leftover 元 go to the sources with the largest fractional part (then in the
  order listed).
- The points subsidy is `rate` (a dated parameter, 20% in 泰州) of the issuer's verified actual spending not yet
  subsidised, rounded half-up to the 元.
- A payment must fit every limit at once: above 0; a tranche only after its milestone is accepted; within what
  is left of the tranche, the team's commitment and the challenge's public funding; each source's part within
  that source's balance; and money nobody has been promised (a subsidy) only out of the pool's balance that is
  not committed to teams. `payment_problems` lists every limit broken, in Chinese; empty means it fits.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from kechuang.engine.numbers import money_exact_text

UNIT = Decimal("0.0001")


def wan(value) -> str:
    """Decimal 万元 as text: two decimals (the pages' style), four where the 元 matter (30.0001 万元)."""
    return money_exact_text(value)


def pct(share) -> str:
    """A share as a percentage without trailing zeros: 0.2 → 20%, 0.125 → 12.5%."""
    value = (Decimal(str(share)) * 100).normalize()
    return f"{value:f}%"


def split(amount, shares: list[tuple[str, object]], paid: dict | None = None) -> dict[str, Decimal]:
    """`amount` across `shares` [(key, weight)], exact to the 元 (largest remainder). Given what each source
    has `paid` so far, a leftover 元 that could go to several sources goes to the one furthest behind its share,
    so over many payments the sources stay at their shares instead of the first one always paying more."""
    amount = Decimal(amount)
    weights = [(k, Decimal(str(w))) for k, w in shares]
    total = sum((w for _, w in weights), Decimal(0))
    if total <= 0:
        raise ValueError("资金池各出资方的份额之和应大于 0")
    units = int((amount / UNIT).to_integral_value(ROUND_HALF_UP))
    raw = [(k, Decimal(units) * w / total) for k, w in weights]
    floors = {k: int(r.to_integral_value(ROUND_DOWN)) for k, r in raw}
    left = units - sum(floors.values())
    paid = paid or {}
    behind = {k: Decimal(paid.get(k, 0)) / w for k, w in weights}
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i][1] - floors[raw[i][0]]), behind[raw[i][0]], i))
    for i in order[:left]:
        floors[raw[i][0]] += 1
    return {k: Decimal(floors[k]) * UNIT for k, _ in weights}


def subsidy(spending: list, rate) -> tuple[Decimal, Decimal, str]:
    """(basis, amount, explanation) of the points subsidy on verified spending items."""
    basis = sum((Decimal(s) for s in spending), Decimal(0))
    r = Decimal(str(rate))
    amount = (basis * r).quantize(UNIT, ROUND_HALF_UP)
    text = f"已核验实际支出 {len(spending)} 笔，合计 {wan(basis)} × {pct(r)} = {wan(amount)}"
    return basis, amount, text


def payment_problems(facts: dict) -> list[str]:
    """Every limit a proposed payment breaks (see the module policy)."""
    amount = Decimal(facts["amount"])
    out = []
    if amount <= 0:
        return ["拨付金额应大于 0"]
    if facts.get("kind") == "tranche":
        milestone = facts.get("milestone")
        if milestone and not facts.get("milestone_accepted"):
            out.append(f"{facts.get('tranche', '该期')}资金须在里程碑“{milestone}”验收通过后拨付，该里程碑尚未验收通过")
        if facts.get("team_out"):
            out.append(f"团队“{facts.get('team')}”{facts['team_out']}，不能再拨付")
        for key, what in (
            ("tranche_left", f"{facts.get('tranche', '该期')}剩余承诺"),
            ("team_left", f"团队“{facts.get('team')}”剩余承诺"),
            ("challenge_left", f"榜单“{facts.get('challenge')}”财政资金剩余额度"),
        ):
            left = facts.get(key)
            if left is not None and amount > Decimal(left):
                out.append(f"拨付金额 {wan(amount)} 超过{what} {wan(left)}")
    else:
        free = facts.get("uncommitted")
        if free is not None and amount > Decimal(free):
            out.append(f"拨付金额 {wan(amount)} 超过资金池未承诺余额 {wan(free)}（其余已承诺给揭榜团队）")
    sources = facts.get("sources") or []
    if sources:
        parts = split(
            amount,
            [(s["name"], s["share"]) for s in sources],
            {s["name"]: s["paid"] for s in sources if s.get("paid") is not None},
        )
        for s in sources:
            if parts[s["name"]] > Decimal(s["balance"]):
                out.append(
                    f"资金来源“{s['name']}”余额不足：剩余 {wan(s['balance'])}，本笔按份额需 {wan(parts[s['name']])}"
                )
    return out
