"""Writes of the finance app: products, consents, applications and their steps, loans, the risk pool, the
angel fund and matchmaking events.

Policy: every write is one transaction with its audit event. Decisions are the engine's (workflow steps,
deadlines, rate ceilings, finder results, pool claims, committee votes, fault tolerance); a service loads,
calls the engine, stores what decided it and records the audit. Permissions are checked here again, whatever
the page or endpoint did.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine.finance import consent as consent_engine
from kechuang.engine.finance import fund as fund_engine
from kechuang.engine.finance import pool as pool_engine
from kechuang.engine.finance import products as product_engine
from kechuang.engine.finance import workflow
from kechuang.engine.finance.sla import sla
from kechuang.engine.ruledata import RuleDataError
from kechuang.enterprises.models import Enterprise
from kechuang.rules import selectors as rule_selectors

from . import loaders, selectors
from .models import (
    Application,
    ApplicationEvent,
    CommitteeVote,
    Consent,
    Deal,
    DealDocument,
    DealEvent,
    Fund,
    Loan,
    LoanProduct,
    MatchEvent,
    PoolEntry,
    RiskPool,
)

FOUR = Decimal("0.0001")
MAX_TERM_MONTHS = 360


def _require(flag: bool, message: str) -> None:
    if not flag:
        raise PermissionDenied(message)


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(FOUR, rounding=ROUND_HALF_UP)


def _own_firm(user, enterprise: Enterprise) -> bool:
    return user.is_bureau or (selectors.is_firm(user) and user.enterprise_id == enterprise.pk)


# ---------------------------------------------------------------------------------------------- products


def create_product(
    *, user, bank, code: str, name: str, rule_id: str, launched_on: dt.date, summary: str = ""
) -> LoanProduct:
    """A bureau admin lists a bank's product under a product rule (its terms)."""
    _require(user.can_admin, _("只有科技局管理员可以登记金融产品"))
    if bank.kind != "bank":
        raise ValidationError(_("“%(b)s”不是银行") % {"b": bank.name})
    try:
        rule_selectors.rule_in_force("loan_product", rule_id, launched_on)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None
    if LoanProduct.objects.filter(code=code).exists():
        raise ValidationError(_("产品代码“%(c)s”已被使用") % {"c": code})
    with transaction.atomic():
        product = LoanProduct.objects.create(
            code=code, name=name.strip(), bank=bank, rule_id=rule_id, launched_on=launched_on, summary=summary.strip()
        )
        audit.record(
            actor=user,
            action="finance.product.create",
            obj=product,
            note=f"{bank.name}·{product.name}（规则 {rule_id}）",
        )
    return product


def set_product_status(*, user, product: LoanProduct, status: str) -> LoanProduct:
    _require(
        user.is_bureau or (selectors.is_bank(user) and user.organisation_id == product.bank_id), _("无权调整该产品")
    )
    if status not in LoanProduct.Status.values:
        raise ValidationError(_("产品状态无效"))
    if status == product.status:
        return product
    with transaction.atomic():
        old = product.status
        product.status = status
        product.save(update_fields=["status"])
        audit.record(actor=user, action="finance.product.status", obj=product, changes={"status": [old, status]})
    return product


# ---------------------------------------------------------------------------------------------- consents


def grant_consent(
    *, user, enterprise: Enterprise, bank, scopes, months: int, purpose: str = "", today: dt.date | None = None
) -> Consent:
    """The firm (or bureau staff for it) lets `bank` see the named data for `months` from today."""
    _require(_own_firm(user, enterprise), _("只有本企业用户（或科技局代办）可以授权"))
    today = today or timezone.localdate()
    if bank.kind != "bank":
        raise ValidationError(_("只能授权给银行"))
    problem = consent_engine.scopes_problem(scopes) or consent_engine.period_problem(
        months, loaders.programme(today)["consent_max_months"]
    )
    if problem:
        raise ValidationError(problem)
    with transaction.atomic():
        consent = Consent.objects.create(
            enterprise=enterprise,
            bank=bank,
            scopes=[s for s in consent_engine.SCOPES if s in scopes],
            starts_on=today,
            ends_on=consent_engine.add_months(today, months),
            purpose=purpose.strip()[:200],
            granted_by=user,
        )
        audit.record(
            actor=user,
            action="finance.consent.grant",
            obj=consent,
            enterprise=enterprise,
            changes={"scopes": [None, consent.scope_labels], "ends_on": [None, str(consent.ends_on)]},
            note=f"授权 {bank.name} 查看：{consent.scope_labels}，至 {consent.ends_on:%Y-%m-%d}",
        )
    return consent


def withdraw_consent(*, user, consent: Consent) -> Consent:
    """Withdrawal closes the bank's access at once (every read checks the consent again)."""
    _require(_own_firm(user, consent.enterprise), _("只有本企业用户（或科技局代办）可以撤回授权"))
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise ValidationError(_("该授权已撤回"))
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), user
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record(
            actor=user,
            action="finance.consent.withdraw",
            obj=locked,
            enterprise=locked.enterprise,
            changes={"withdrawn_at": [None, locked.withdrawn_at.isoformat()]},
            note=f"撤回对 {locked.bank.name} 的授权",
        )
    return locked


# ---------------------------------------------------------------------------------------------- applications


def finder(enterprise_qs, products: list[LoanProduct], today: dt.date):
    """The finder's rows for the firms of `enterprise_qs` against `products` (terms in force today)."""
    terms = [loaders.product_terms(p, today) for p in products]
    frame = loaders.firm_frame(enterprise_qs, today)
    if frame.is_empty() or not terms:
        return None, terms
    return product_engine.evaluate(frame, terms, loaders.lpr(today)), terms


def submit_application(
    *,
    user,
    enterprise: Enterprise,
    product: LoanProduct,
    amount,
    term_months: int,
    purpose: str,
    scopes,
    months: int,
    today: dt.date | None = None,
) -> Application:
    """A firm applies (or bureau staff for it), granting the product's bank consent to the named data.

    The promise is fixed at submission: the rule version and its parameter values, and the deadline
    `decision_days` working days after today with its basis."""
    _require(_own_firm(user, enterprise), _("只有本企业用户（或科技局代办）可以提交融资申请"))
    today = today or timezone.localdate()
    if product.status != LoanProduct.Status.ACTIVE:
        raise ValidationError(_("该产品当前不受理申请"))
    terms = loaders.product_terms(product, today)
    amount = _money(amount)
    if amount <= 0:
        raise ValidationError(_("申请金额应大于 0（万元）"))
    cap = Decimal(str(terms.params["max_amount"]))
    if amount > cap:
        raise ValidationError(
            _("申请金额 %(a)s 万元超过本产品单户上限 %(c)s 万元") % {"a": f"{amount:.2f}", "c": f"{cap:.2f}"}
        )
    if not 1 <= int(term_months) <= MAX_TERM_MONTHS:
        raise ValidationError(_("贷款期限应为 1–%(m)s 个月") % {"m": MAX_TERM_MONTHS})
    if not purpose.strip():
        raise ValidationError(_("请填写资金用途"))
    if Application.objects.filter(enterprise=enterprise, product=product, status__in=workflow.OPEN).exists():
        raise ValidationError(_("该产品已有一笔在办的申请，请等待银行答复或先撤回"))
    rows, _terms = finder(Enterprise.objects.filter(pk=enterprise.pk), [product], today)
    row = rows.row(0, named=True) if rows is not None and rows.height else {}
    snap = loaders.snapshot(Enterprise.objects.filter(pk=enterprise.pk), today).get(enterprise.uscc, {})
    days = int(terms.params["decision_days"])
    promise = sla(today, days, None, today)
    with transaction.atomic():
        consent = grant_consent(
            user=user,
            enterprise=enterprise,
            bank=product.bank,
            scopes=scopes,
            months=months,
            purpose=_("融资申请：%(p)s") % {"p": product.name},
            today=today,
        )
        application = Application.objects.create(
            enterprise=enterprise,
            product=product,
            bank=product.bank,
            amount=amount,
            term_months=term_months,
            purpose=purpose.strip()[:200],
            submitted_on=today,
            decision_days=days,
            deadline_on=promise.deadline.date,
            deadline_basis=promise.deadline.basis[:300],
            consent=consent,
            rule_key=terms.doc.key,
            terms=json.loads(json.dumps(dict(terms.params), default=str)),
            finder={k: row.get(k) for k in ("status", "short_of", "limit", "rate_ceiling", "explanation", "gap")},
            points=snap.get("points"),
            stage=snap.get("stage") or "",
            tier=snap.get("tier") or "",
            created_by=user,
        )
        ApplicationEvent.objects.create(
            application=application,
            to_status="received",
            on=today,
            by=user,
            note=_("提交申请，%(d)s 前给出审批结论") % {"d": promise.deadline.date},
        )
        audit.record(
            actor=user,
            action="finance.application.submit",
            obj=application,
            enterprise=enterprise,
            changes={"amount": [None, audit.jsonable(amount)]},
            note=f"{product.bank.name}·{product.name}，承诺 {days} 个工作日（截止 {promise.deadline.date}）",
        )
    return application


def rate_ceiling(application: Application, on: dt.date) -> float:
    """The application's rate ceiling on `on`: the LPR then in force + the spread fixed at submission."""
    lpr = loaders.lpr(on)
    term = application.terms.get("lpr_term")
    base = lpr["lpr_5y"] if term == "5y" else lpr["lpr_1y"]
    return round(base + float(application.terms["rate_spread_bp"]) / 100, 4)


def advance(
    *, user, application: Application, step: workflow.Step, contract_no: str = "", today: dt.date | None = None
) -> Application:
    """Take one step of an application (the bank's work, or the firm's withdrawal), checked by the engine."""
    today = today or timezone.localdate()
    if selectors.is_bank(user) and user.organisation_id == application.bank_id:
        actor = "bank"
    elif step.target == "withdrawn" and _own_firm(user, application.enterprise):
        actor = "firm"
    else:
        raise PermissionDenied(_("无权办理该申请"))
    on = step.on or today
    step = workflow.Step(**{**step.__dict__, "on": on})
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        problem = workflow.check(
            app.status,
            step,
            actor,
            max_amount=float(app.terms["max_amount"]),
            rate_ceiling=rate_ceiling(app, on),
            submitted_on=app.submitted_on,
            today=today,
        )
        if problem:
            raise ValidationError(problem)
        old = app.status
        app.status = step.target
        fields = ["status", "updated_at"]
        if step.target in workflow.DECIDED:
            app.decided_on = on
            app.decision_reason = step.reason.strip()[:500]
            fields += ["decided_on", "decision_reason"]
        if step.target == "approved":
            app.approved_amount, app.approved_rate = _money(step.amount), Decimal(str(step.rate))
            fields += ["approved_amount", "approved_rate"]
        if step.target == "withdrawn" and step.reason:
            app.decision_reason = step.reason.strip()[:500]
            fields.append("decision_reason")
        app.save(update_fields=fields)
        _follow_loan(user, app, step, contract_no, on)
        ApplicationEvent.objects.create(
            application=app, from_status=old, to_status=step.target, on=on, by=user, note=_event_note(step)
        )
        audit.record(
            actor=user,
            action=f"finance.application.{step.target}",
            obj=app,
            enterprise=app.enterprise,
            changes={"status": [old, step.target]},
            note=_event_note(step),
        )
    return app


def _event_note(step: workflow.Step) -> str:
    parts = []
    if step.amount is not None:
        parts.append(f"金额 {step.amount:g} 万元")
    if step.rate is not None:
        parts.append(f"年利率 {step.rate:g}%")
    if step.maturity_on is not None:
        parts.append(f"到期 {step.maturity_on:%Y-%m-%d}")
    if step.defaulted_principal is not None:
        parts.append(f"违约本金 {step.defaulted_principal:g} 万元")
    if step.reason:
        parts.append(step.reason.strip())
    return "；".join(parts)[:500]


def _follow_loan(user, app: Application, step: workflow.Step, contract_no: str, on: dt.date) -> None:
    """The loan record follows the application from disbursement on."""
    if step.target == "disbursed" and not Loan.objects.filter(application=app).exists():
        fee_rate = app.terms.get("guarantee_fee_rate")
        months = (step.maturity_on.year - on.year) * 12 + step.maturity_on.month - on.month
        kind = rule_selectors.rule_in_force("loan_product", app.product.rule_id, app.submitted_on).product_kind
        guaranteed = kind == "guaranteed" and fee_rate is not None
        Loan.objects.create(
            bank=app.bank,
            enterprise=app.enterprise,
            product=app.product,
            application=app,
            contract_no=(contract_no.strip() or f"PT{app.pk:06d}")[:64],
            amount=_money(step.amount),
            rate=Decimal(str(step.rate)),
            disbursed_on=on,
            maturity_on=step.maturity_on,
            guaranteed=guaranteed,
            guarantee_fee=_money(step.amount * float(fee_rate) * max(months, 1) / 12) if guaranteed else None,
            points=app.points,
            stage=app.stage,
            tier=app.tier,
            source=Loan.Source.PLATFORM,
        )
        return
    loan = Loan.objects.filter(application=app).first()
    if loan is None or step.target not in workflow.LOAN_STATES:
        return
    update_loan(
        user=user, loan=loan, status=step.target, on=on, defaulted_principal=step.defaulted_principal, checked=True
    )


def update_loan(*, user, loan: Loan, status: str, on: dt.date, defaulted_principal=None, checked=False) -> Loan:
    """A loan repaid, overdue, back in order, or defaulted (a default files the pool's claim)."""
    if not checked:
        _require(
            user.is_bureau or (selectors.is_bank(user) and user.organisation_id == loan.bank_id),
            _("无权更新该贷款记录"),
        )
    old = loan.status
    loan.status = status
    if status == Loan.Status.REPAID:
        loan.closed_on = on
    elif status == Loan.Status.OVERDUE:
        loan.overdue_on = on
    elif status == Loan.Status.DEFAULTED:
        loan.defaulted_on, loan.defaulted_principal = on, _money(defaulted_principal)
    loan.save()
    audit.record(
        actor=user,
        action="finance.loan.status",
        obj=loan,
        enterprise=loan.enterprise,
        changes={"status": [old, status]},
        note=f"{loan.contract_no} {on:%Y-%m-%d}",
    )
    if status == Loan.Status.DEFAULTED:
        for pool in RiskPool.objects.all():
            file_claim(user=user, pool=pool, loan=loan)
    return loan


# ---------------------------------------------------------------------------------------------- risk pool


def contribute(*, user, pool: RiskPool, amount, on: dt.date, source: str) -> PoolEntry:
    _require(user.can_admin, _("只有科技局管理员可以登记资金池注资"))
    amount = _money(amount)
    if amount <= 0:
        raise ValidationError(_("注资金额应大于 0（万元）"))
    if not source.strip():
        raise ValidationError(_("请填写资金来源"))
    with transaction.atomic():
        entry = PoolEntry.objects.create(
            pool=pool,
            kind=PoolEntry.Kind.CONTRIBUTION,
            on=on,
            amount=amount,
            source=source.strip()[:128],
            created_by=user,
        )
        audit.record(
            actor=user,
            action="finance.pool.contribute",
            obj=entry,
            changes={"amount": [None, audit.jsonable(amount)]},
            note=f"{pool.name}：{source}",
        )
    return entry


def file_claim(*, user, pool: RiskPool, loan: Loan) -> PoolEntry | None:
    """The pool's claim for a defaulted loan: its rule's share of the defaulted principal within the caps and
    what is left of the pool (engine.finance.pool). Once per loan; a loan the pool does not cover (not a
    platform product with a risk share) files nothing."""
    if loan.status != Loan.Status.DEFAULTED or loan.defaulted_principal is None:
        return None
    if PoolEntry.objects.filter(pool=pool, loan=loan, kind=PoolEntry.Kind.CLAIM).exists():
        return None
    if loan.product_id is None or not _covered_by_pool(loan):
        return None
    with transaction.atomic():
        RiskPool.objects.select_for_update().filter(pk=pool.pk).first()
        position = loaders.pool_position(pool, loan.defaulted_on)
        rule = position["rule"]
        claim = pool_engine.allocate(
            [{"id": loan.pk, "principal": loan.defaulted_principal, "defaulted_on": loan.defaulted_on}],
            rule["share"],
            rule["per_loan_cap"],
            position["available"],
        )[0]
        entry = PoolEntry.objects.create(
            pool=pool,
            kind=PoolEntry.Kind.CLAIM,
            on=loan.defaulted_on,
            amount=claim["covered"],
            loan=loan,
            source=loan.bank.name,
            explanation=claim["explanation"][:500],
            rule_key=rule_selectors.rule_in_force("risk_pool", pool.rule_id, loan.defaulted_on).key,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit.record(
            actor=user,
            action="finance.pool.claim",
            obj=entry,
            enterprise=loan.enterprise,
            changes={"amount": [None, audit.jsonable(entry.amount)]},
            note=claim["explanation"],
        )
    return entry


def _covered_by_pool(loan: Loan) -> bool:
    try:
        terms = loaders.product_terms(loan.product, loan.disbursed_on)
    except RuleDataError:
        return False
    return terms.value("risk_share") is not None


def record_recovery(*, user, pool: RiskPool, loan: Loan, amount, on: dt.date) -> PoolEntry:
    """Money a bank recovered after a default and paid back into the pool (at most what the pool covered)."""
    _require(user.is_bureau, _("无权登记追偿回款"))
    amount = _money(amount)
    covered = pool.entries.filter(kind=PoolEntry.Kind.CLAIM, loan=loan).aggregate(s=Sum("amount"))["s"] or 0
    back = pool.entries.filter(kind=PoolEntry.Kind.RECOVERY, loan=loan).aggregate(s=Sum("amount"))["s"] or 0
    if amount <= 0:
        raise ValidationError(_("回款金额应大于 0（万元）"))
    if amount + back > covered:
        raise ValidationError(
            _("回款累计 %(t)s 万元超过资金池为该笔贷款补偿的 %(c)s 万元")
            % {"t": f"{amount + back:.2f}", "c": f"{Decimal(covered):.2f}"}
        )
    with transaction.atomic():
        entry = PoolEntry.objects.create(
            pool=pool,
            kind=PoolEntry.Kind.RECOVERY,
            on=on,
            amount=amount,
            loan=loan,
            source=loan.bank.name,
            created_by=user,
        )
        audit.record(
            actor=user,
            action="finance.pool.recovery",
            obj=entry,
            enterprise=loan.enterprise,
            changes={"amount": [None, audit.jsonable(amount)]},
            note=loan.contract_no,
        )
    return entry


# ---------------------------------------------------------------------------------------------- angel fund


def _fund_rule(fund: Fund, on: dt.date):
    return rule_selectors.params("angel_fund", fund.rule_id, on)


def add_deal(*, user, fund: Fund, project: str, amount, sourced_on: dt.date, enterprise=None, note: str = "") -> Deal:
    _require(user.is_bureau, _("无权登记投资项目"))
    if not project.strip():
        raise ValidationError(_("请填写项目名称"))
    rule = _fund_rule(fund, sourced_on)
    problem = fund_engine.project_limit_problem(amount, fund.size, rule["per_project_cap"], rule["per_project_share"])
    if problem:
        raise ValidationError(problem)
    with transaction.atomic():
        deal = Deal.objects.create(
            fund=fund,
            project=project.strip(),
            amount=_money(amount),
            sourced_on=sourced_on,
            enterprise=enterprise,
            note=note.strip()[:500],
        )
        DealEvent.objects.create(deal=deal, to_stage="sourced", on=sourced_on, by=user, note=_("项目入库"))
        audit.record(actor=user, action="finance.deal.create", obj=deal, note=f"{fund.name}·{deal.project}")
    return deal


def move_deal(*, user, deal: Deal, target: str, on: dt.date, note: str = "", exit_amount=None) -> Deal:
    """One step of the pipeline (the committee's own step is `decide_committee`)."""
    _require(user.is_bureau, _("无权办理投资项目"))
    if target not in fund_engine.NEXT.get(deal.stage, ()):
        raise ValidationError(
            _("项目当前为“%(s)s”，不能转为“%(t)s”")
            % {"s": fund_engine.STAGES[deal.stage], "t": fund_engine.STAGES.get(target, target)}
        )
    if on < deal.sourced_on:
        raise ValidationError(_("日期早于项目入库日期"))
    with transaction.atomic():
        old = deal.stage
        deal.stage = target
        fields = {
            "due_diligence": "dd_started_on",
            "committee": "committee_on",
            "closed": "closed_on",
            "exited": "ended_on",
            "written_off": "ended_on",
        }
        if target in fields:
            setattr(deal, fields[target], on)
        if target == "exited":
            if exit_amount is None:
                raise ValidationError(_("退出须填写回收金额（万元）"))
            deal.exit_amount = _money(exit_amount)
        deal.save()
        if target == "written_off" or (target == "exited" and deal.failed):
            _decide_exemption(deal, on)
        DealEvent.objects.create(deal=deal, from_stage=old, to_stage=target, on=on, by=user, note=note.strip()[:500])
        audit.record(
            actor=user,
            action=f"finance.deal.{target}",
            obj=deal,
            changes={"stage": [old, target]},
            note=note.strip()[:500] or deal.project,
        )
    return deal


def _decide_exemption(deal: Deal, on: dt.date) -> None:
    """A failure inside tolerance with its due-diligence trail complete is exempt (engine.finance.fund)."""
    rule = _fund_rule(deal.fund, on)
    closed = [
        {"id": d.pk, "amount": d.amount, "failed": d.failed} for d in deal.fund.deals.filter(closed_on__isnull=False)
    ]
    result = fund_engine.tolerance(closed, rule["failure_ceiling"], rule["tolerance_basis"])
    kinds = list(deal.documents.values_list("kind", flat=True))
    exempt, text = fund_engine.exemption(kinds, rule["required_procedures"], result["inside"])
    deal.exempt, deal.exemption_text = exempt, f"{result['text']}；{text}"[:500]
    deal.rule_key = rule_selectors.rule_in_force("angel_fund", deal.fund.rule_id, on).key
    deal.save(update_fields=["exempt", "exemption_text", "rule_key"])


def record_vote(*, user, deal: Deal, member: str, vote: str, note: str = "") -> CommitteeVote:
    _require(user.is_bureau, _("无权登记投委会表决"))
    if deal.stage != "committee":
        raise ValidationError(_("项目尚未提交投委会，或已作出决议"))
    if vote not in CommitteeVote.Vote.values or not member.strip():
        raise ValidationError(_("请填写委员姓名并选择表决意见"))
    try:
        with transaction.atomic():
            v = CommitteeVote.objects.create(deal=deal, member=member.strip()[:64], vote=vote, note=note.strip()[:300])
            audit.record(
                actor=user, action="finance.deal.vote", obj=v, note=f"{deal.project}：{member} {v.get_vote_display()}"
            )
    except IntegrityError:
        raise ValidationError(_("委员“%(m)s”已表决") % {"m": member}) from None
    return v


def decide_committee(*, user, deal: Deal, on: dt.date) -> Deal:
    """The committee's result from its votes under the fund's rule: 过会 (approved) or not (rejected)."""
    _require(user.is_bureau, _("无权登记投委会决议"))
    if deal.stage != "committee":
        raise ValidationError(_("项目尚未提交投委会，或已作出决议"))
    rule = _fund_rule(deal.fund, on)
    passed, text = fund_engine.committee(
        list(deal.votes.values_list("vote", flat=True)), rule["committee_quorum"], rule["committee_pass_share"]
    )
    if "法定人数" in text and not passed:
        raise ValidationError(text)
    with transaction.atomic():
        old = deal.stage
        deal.stage = "approved" if passed else "rejected"
        deal.approved_on = on if passed else None
        deal.save(update_fields=["stage", "approved_on"])
        DealEvent.objects.create(deal=deal, from_stage=old, to_stage=deal.stage, on=on, by=user, note=text)
        audit.record(
            actor=user, action="finance.deal.decision", obj=deal, changes={"stage": [old, deal.stage]}, note=text
        )
    return deal


def add_document(*, user, deal: Deal, kind: str, title: str, dated_on: dt.date, file=None) -> DealDocument:
    _require(user.is_bureau, _("无权登记项目文件"))
    if not kind.strip() or not title.strip():
        raise ValidationError(_("请填写文件类别与名称"))
    with transaction.atomic():
        doc = DealDocument.objects.create(
            deal=deal,
            kind=kind.strip()[:64],
            title=title.strip()[:200],
            dated_on=dated_on,
            file=file or "",
            added_by=user,
        )
        audit.record(actor=user, action="finance.deal.document", obj=doc, note=f"{deal.project}：{doc.kind}")
        if deal.stage == "written_off" or (deal.stage == "exited" and deal.failed):
            _decide_exemption(deal, timezone.localdate())
    return doc


# ---------------------------------------------------------------------------------------------- events


def add_event(
    *,
    user,
    title: str,
    held_on: dt.date,
    place: str,
    organiser: str,
    banks,
    firms: int,
    intentions: int,
    signed_amount,
    note: str = "",
) -> MatchEvent:
    _require(user.is_bureau, _("无权登记银企对接活动"))
    if not title.strip() or not place.strip():
        raise ValidationError(_("请填写活动名称与地点"))
    with transaction.atomic():
        event = MatchEvent.objects.create(
            title=title.strip(),
            held_on=held_on,
            place=place.strip(),
            organiser=organiser.strip(),
            firms=firms,
            intentions=intentions,
            signed_amount=_money(signed_amount),
            note=note.strip()[:500],
        )
        event.banks.set(banks)
        audit.record(actor=user, action="finance.event.create", obj=event, note=event.title)
    return event
