"""Payout machinery shared by every payment batch on the platform: the policy app's 兑现批次 and the challenge
pool's 拨付批次 (generalised from the policy app, so both follow one set of rules).

Policy:
- Maker–checker: whoever assembled a batch may not approve or refuse it (`ensure_checker`).
- Locks: an approval locks every row whose limit it checks (`locked`), always in primary-key order, inside the
  approval's transaction, so two approvals at once queue on PostgreSQL instead of both reading the same room
  left (and never deadlock by locking in opposite orders). SQLite serialises whole writes instead.
- Treasury list: one layout for the treasury (国库支付清单): 序号, payee, code, account, 万元 and 元, then the
  batch's own columns; its cells go out through the export rule (core.excel), so a payee name never runs as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .excel import xlsx_response

TREASURY_HEADER = ("户名", "开户行", "账号", "金额（万元）", "金额（元）")


def ensure_checker(maker_id: int | None, user) -> None:
    """The approver must not be the maker (经办、审批须分离)."""
    if maker_id is not None and maker_id == user.pk:
        raise ValidationError(_("审批人不能与经办人为同一人（经办、审批须分离）"))


def locked(qs) -> list:
    """The rows of `qs`, locked for the transaction (SELECT … FOR UPDATE OF the queried table only, so that
    related rows read along, even through an outer join, are neither locked nor refused), in primary-key order."""
    return list(qs.select_for_update(of=("self",)).order_by("pk"))


def yuan(amount_wan: Decimal) -> int:
    return int((Decimal(amount_wan) * 10000).to_integral_value(ROUND_HALF_UP))


def treasury_response(
    title: str,
    rows: Iterable[Sequence],
    *,
    payee: str = "收款单位",
    code: str = "统一社会信用代码",
    extra: Sequence[str] = (),
):
    """The treasury list as an Excel download. Each row: (payee, code, account name, bank, account number,
    amount in 万元, *extra values)."""
    header = ["序号", payee, code, *TREASURY_HEADER, *extra]
    out = []
    for i, (name, ident, account_name, bank, number, amount, *more) in enumerate(rows, start=1):
        out.append([i, name, ident, account_name, bank, number, amount, yuan(amount), *more])
    return xlsx_response(title, header, out)
