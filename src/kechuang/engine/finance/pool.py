"""The risk-compensation pool: how much of a defaulted loan's principal the pool covers, within its caps.

Policy:
- A claim is a defaulted loan. The pool covers `share` of the defaulted principal, at most `per_loan_cap` per
  loan, and never more than what is left of the pool: its cap (`pool_cap`) and the money paid into it
  (contributions), less what it has covered before, plus what banks recovered and paid back.
- Claims are served in the order of their default dates (then their ids); the claim at the edge gets what is
  left, and the ones after it nothing, each with the reason.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal


def _q(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


def available(pool_cap, contributions, covered, recovered) -> Decimal:
    """What the pool can still cover (万元): the smaller of its cap and its money, less covered, plus recovered."""
    return max(min(_q(pool_cap), _q(contributions)) - _q(covered) + _q(recovered), Decimal(0))


def allocate(claims: list[dict], share, per_loan_cap, left) -> list[dict]:
    """Each claim {id, principal, defaulted_on} with `covered` (Decimal 万元) and `explanation`, in order."""
    left = _q(left)
    out = []
    for claim in sorted(claims, key=lambda c: (c["defaulted_on"], c["id"])):
        principal = _q(claim["principal"])
        due = _q(principal * _q(share))
        capped = min(due, _q(per_loan_cap))
        covered = min(capped, left)
        left -= covered
        text = f"违约本金 {principal:.2f} 万元 × 补偿比例 {float(share) * 100:g}% = {due:.2f} 万元"
        if capped < due:
            text += f"，超过单笔上限 {_q(per_loan_cap):.2f} 万元，按上限计"
        if covered < capped:
            text += f"；资金池可用余额不足，补偿 {covered:.2f} 万元"
        out.append({**claim, "covered": covered, "explanation": text + f"。补偿 {covered:.2f} 万元。"})
    return out
