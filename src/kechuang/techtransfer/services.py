"""Writes of technology contracts: recording a contract, and the registration decision with its audit event.

Decisions come from the engine (`engine.techtransfer.contracts.check`) under the rules in force on the
application date (`received_on`), the bureau's rule versions included; the clerk confirms the engine's decision,
or refuses a contract the engine would register for a reason only a reader of the contract sees (a monopoly
clause, a seal that does not match the name: 2000 办法), with that reason written. A contract the engine refuses
is never registered. A registration gets the next number of its year in the configured format.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine.ruledata import RuleDataError
from kechuang.engine.techtransfer import contracts as engine
from kechuang.rules import selectors as rule_versions

from . import selectors
from .models import TechContract

FIELDS = (
    "contract_no",
    "project",
    "type",
    "seller_name",
    "seller_uscc",
    "seller_region",
    "buyer_name",
    "buyer_uscc",
    "buyer_country",
    "buyer_region",
    "signed_on",
    "valid_to",
    "total_amount",
    "non_tech_amount",
    "written",
)
CLERK_REFUSAL = "clerk_refused"


def rules_on(as_of: dt.date) -> engine.Rules:
    """The registration rules in force on `as_of`, with the bureau's parameter and document versions."""
    kind = engine.KIND.id
    try:
        extra = [d for rule_id in engine.rulebook(kind).ids() for d in rule_versions.documents(kind, rule_id)]
        return engine.rules_on(as_of, rule_versions.overrides(kind), extra)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None


def rule_name(key: str) -> str:
    """The Chinese name of the rule version a decision names (`id@version`), for pages and certificates."""
    doc = rule_versions.by_key(engine.KIND.id, key)
    return doc.name if doc is not None else key


def as_engine(c: TechContract) -> engine.Contract:
    return engine.Contract(**{name: getattr(c, name) for name in FIELDS})


def proposal(c: TechContract) -> engine.Decision:
    """What the rules decide for this contract, applied for on its receipt date."""
    return engine.check(as_engine(c), c.received_on, rules_on(c.received_on))


def record(*, user, data: dict, on: dt.date | None = None) -> TechContract:
    """A contract submitted for registration on `on` (today): an institution user for its institution, the
    bureau for any seller. The deadline follows from the rules in force that day."""
    if not selectors.can_record(user):
        raise PermissionDenied(_("无权登记技术合同"))
    on = on or timezone.localdate()
    values = {name: data.get(name) for name in FIELDS}
    values["non_tech_amount"] = values["non_tech_amount"] or Decimal(0)
    values["written"] = bool(values["written"])
    for name in FIELDS:
        if isinstance(values[name], str):
            values[name] = values[name].strip()
    values["seller_uscc"] = (values["seller_uscc"] or "").upper()
    values["buyer_uscc"] = (values["buyer_uscc"] or "").upper()
    values["buyer_country"] = (values["buyer_country"] or "").upper()
    missing = [
        label
        for name, label in (
            ("contract_no", _("合同编号")),
            ("project", _("项目名称")),
            ("seller_name", _("卖方名称")),
            ("buyer_name", _("买方名称")),
            ("signed_on", _("签订日期")),
            ("total_amount", _("合同成交额")),
        )
        if values[name] in (None, "")
    ]
    if missing:
        raise ValidationError(_("请填写：%(f)s") % {"f": "、".join(missing)})
    rules = rules_on(on)
    kind = rules.type_of(values["type"])
    if kind is None:
        raise ValidationError(_("合同类型应为 %(t)s 之一") % {"t": "、".join(t.name for t in rules.types)})
    values["type"] = kind.id
    if TechContract.objects.filter(contract_no=values["contract_no"]).exists():
        raise ValidationError(_("合同编号“%(n)s”已登记过，同一合同只登记一次") % {"n": values["contract_no"]})
    limit = engine.deadline(on, engine.tech_amount(engine.Contract(**values)), rules)
    institution = user.organisation if selectors.is_institution_user(user) else None
    with transaction.atomic():
        c = TechContract.objects.create(
            **values,
            institution=institution,
            received_on=on,
            due_on=limit.date,
            expert_review=limit.expert_review,
            recorded_by=user,
        )
        c.refresh_from_db()  # amounts as stored (four places), as every later read gives them
        audit.record(
            actor=user,
            action="tech_contract.record",
            obj=c,
            note=f"{c.contract_no} {c.project}：成交额 {c.total_amount} 万元；{limit.text}",
        )
    return c


def decide(*, user, contract: TechContract, refuse_reason: str = "", on: dt.date | None = None) -> TechContract:
    """Confirm the engine's decision (registered with a number, or refused with its reason); `refuse_reason`
    refuses a contract the engine would register, for a reason only the clerk sees."""
    if not selectors.can_decide(user):
        raise PermissionDenied(_("只有科技局工作人员可以认定登记技术合同"))
    on = on or timezone.localdate()
    with transaction.atomic():
        c = TechContract.objects.select_for_update().get(pk=contract.pk)
        if c.status != TechContract.Status.SUBMITTED:
            raise ValidationError(_("该合同已认定（%(s)s），不能再次认定") % {"s": c.get_status_display()})
        if on < c.received_on:
            raise ValidationError(_("认定日期不能早于受理日期"))
        d = proposal(c)
        before = {"status": c.status}
        refuse_reason = refuse_reason.strip()
        if d.registered and not refuse_reason:
            c.status, c.tech_amount = TechContract.Status.REGISTERED, d.tech_amount
            c.registration_no = _next_number(c, user, on)
            c.reason_code, c.reason = d.reason_code, d.reason
        else:
            c.status, c.tech_amount, c.registration_no = TechContract.Status.REFUSED, None, None
            c.reason_code, c.reason = (
                (CLERK_REFUSAL, _("未予登记：%(r)s") % {"r": refuse_reason})
                if d.registered
                else (d.reason_code, d.reason)
            )
        c.reason = c.reason[:300]
        c.rule_key, c.decided_by, c.decided_at, c.decided_on = d.rule, user, timezone.now(), on
        c.save()
        after = {
            "status": c.status,
            "registration_no": c.registration_no,
            "tech_amount": None if c.tech_amount is None else str(c.tech_amount),
            "reason_code": c.reason_code,
        }
        late = _("（超过办结时限 %(d)s）") % {"d": c.due_on} if on > c.due_on else ""
        audit.record(
            actor=user,
            action=f"tech_contract.{c.status}",
            obj=c,
            changes={k: [before.get(k), v] for k, v in after.items()},
            note=f"{c.contract_no}：{c.reason}；规则 {c.rule_key}{late}",
        )
    return c


def _next_number(c: TechContract, user, on: dt.date) -> str:
    """The next registration number of the year at this registration point (inside the deciding transaction;
    the unique constraint refuses a number taken by a concurrent decision)."""
    p = rules_on(c.received_on).params
    office = getattr(getattr(user, "organisation", None), "region_id", None) or c.seller_region
    if not office:
        raise ValidationError(_("无法生成登记编号：认定机构未设置所在地区，卖方也未填写行政区划代码"))
    fmt, point = p["number_format"], p["registration_point"]
    prefix = engine.registration_number(fmt, on.year, office, point, 0)[: -fmt.count("N")]
    taken = (
        TechContract.objects.filter(registration_no__startswith=prefix)
        .order_by("-registration_no")
        .values_list("registration_no", flat=True)
        .first()
    )
    serial = int(taken[len(prefix) :]) + 1 if taken else 1
    try:
        return engine.registration_number(fmt, on.year, office, point, serial)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
