"""The pool's money: contributions, commitments per team and tranche (and their release), payment batches
(maker–checker on the platform's payout machinery, `core.payouts`), the issuer's spending and points subsidy,
and claw-backs.

Policy:
- Every movement is a ledger row; the running totals on the pool's sources, the challenge and the tranche move
  with it in the same transaction.
- Locks: every write that could overspend locks the pool row first (one queue per pool), then the rows whose
  limits it checks, each kind in primary-key order (`core.payouts.locked`). Two staff approving at once on
  PostgreSQL therefore queue, and the second sees what the first spent. Database CHECKs back this up.
- The limits themselves are the engine's (`engine.challenges.money.payment_problems`): a tranche only after its
  milestone is accepted; within the tranche, the team's commitment and the challenge's public funding; each
  source's part (split by the pool's shares) within that source's balance; a subsidy only out of money nobody
  was promised. A refused approval writes nothing and says every limit broken, in Chinese.
- Payments leave the pool when the batch is approved (the ledger's payment rows); the treasury's confirmation
  (`mark_paid`) records the date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit, payouts
from kechuang.engine.challenges import money as engine_money
from kechuang.engine.challenges import race as engine_race
from kechuang.policies.models import BankAccount

from ..models import (
    Application,
    Challenge,
    Clawback,
    LedgerEntry,
    Milestone,
    MilestoneReport,
    Payment,
    PaymentBatch,
    Pool,
    PoolSource,
    Spending,
    Subsidy,
    Tranche,
)
from .common import actor, refuse, require, rule, text, today
from .lifecycle import _decimal, is_issuer

ZERO = Decimal(0)


# ---------------------------------------------------------------- pool and contributions


def create_pool(*, user, name: str, year: int, sources: list[tuple[str, object, object]], note: str = "") -> Pool:
    """A pool and its sources [(name, share, pledged 万元)], e.g. 1:1:1 of 1000万 each."""
    require(user.can_admin, _("只有科技局管理员可以设立资金池"))
    problems = [] if text(name) else [_("请填写资金池名称")]
    rows = []
    for i, (src, share, pledged) in enumerate(sources, start=1):
        where = _("第 %(n)d 个出资方：") % {"n": i}
        s, p = _decimal(share, _("出资份额"), problems, where), _decimal(pledged, _("认缴金额"), problems, where)
        if not text(src):
            problems.append(where + _("请填写出资方名称"))
        if s is not None and s <= 0:
            problems.append(where + _("出资份额应大于 0"))
        if p is not None and p < 0:
            problems.append(where + _("认缴金额不能为负数"))
        rows.append((text(src), s, p))
    if not rows:
        problems.append(_("至少需要一个出资方"))
    if len({r[0] for r in rows}) != len(rows):
        problems.append(_("出资方名称重复"))
    if Pool.objects.filter(name=text(name)).exists():
        problems.append(_("资金池“%(n)s”已存在") % {"n": text(name)})
    refuse(problems)
    with transaction.atomic():
        pool = Pool.objects.create(name=text(name), year=year, note=text(note))
        PoolSource.objects.bulk_create(
            [PoolSource(pool=pool, name=n, share=s, pledged=p or ZERO, order=i) for i, (n, s, p) in enumerate(rows)]
        )
        audit.record(
            actor=user,
            action="challenge.pool",
            obj=pool,
            note=f"设立资金池 {pool.name}：" + "、".join(f"{n} 认缴 {p} 万元（份额 {s}）" for n, s, p in rows),
        )
    return pool


def _lock_pool(pool_id: int) -> tuple[Pool, list[PoolSource]]:
    pool = Pool.objects.select_for_update().get(pk=pool_id)
    return pool, payouts.locked(PoolSource.objects.filter(pool=pool))


def contribute(*, user, source: PoolSource, amount, on: dt.date, note: str = "") -> LedgerEntry:
    """Money from a funder arrives in the pool (出资到位); never above what it pledged."""
    require(user.is_bureau, _("只有科技局工作人员可以登记出资"))
    problems: list[str] = []
    value = _decimal(amount, _("到位金额"), problems)
    if value is None and not problems:
        problems.append(_("请填写到位金额"))
    elif value is not None and value <= 0:
        problems.append(_("到位金额应大于 0"))
    refuse(problems)
    with transaction.atomic():
        _pool, sources = _lock_pool(source.pool_id)
        src = next(s for s in sources if s.pk == source.pk)
        if src.contributed + value > src.pledged:
            refuse(
                _("%(s)s认缴 %(p)s，已到位 %(c)s，本次 %(a)s 将超过认缴额")
                % {
                    "s": src.name,
                    "p": engine_money.wan(src.pledged),
                    "c": engine_money.wan(src.contributed),
                    "a": engine_money.wan(value),
                }
            )
        old = src.contributed
        src.contributed = old + value
        src.save(update_fields=["contributed"])
        entry = LedgerEntry.objects.create(
            pool_id=src.pool_id,
            kind=LedgerEntry.Kind.CONTRIBUTION,
            source=src,
            amount=value,
            on=on,
            note=text(note) or f"{src.name}出资到位",
            created_by=actor(user),
        )
        audit.record(
            actor=user,
            action="challenge.contribution",
            obj=src,
            changes={"contributed": [audit.jsonable(old), audit.jsonable(src.contributed)]},
            note=entry.note,
        )
    return entry


def open_commitments(pool_id: int) -> Decimal:
    """Money promised to teams and not yet paid or released, over the whole pool."""
    row = Tranche.objects.filter(application__challenge__pool_id=pool_id).aggregate(
        a=Sum("amount"), p=Sum("paid"), r=Sum("released")
    )
    return (row["a"] or ZERO) - (row["p"] or ZERO) - (row["r"] or ZERO)


def committed_by_source(pool: Pool, amount: Decimal) -> dict[str, Decimal]:
    """Open commitments shown per source: split by the pool's shares, as their payments will be."""
    return engine_money.split(amount, pool.shares()) if amount > 0 else {n: ZERO for n, _ in pool.shares()}


# ---------------------------------------------------------------- commitments per team and tranche


def _team_out(team: Application) -> str:
    return {"eliminated": "已被淘汰", "merged": "已并入其他团队", "failed": "未通过验收", "withdrawn": "已放弃"}.get(
        team.status, ""
    )


def commit(
    *, user, team: Application, amount, milestone: Milestone | None, on: dt.date | None = None, note: str = ""
) -> Tranche:
    """Promise a tranche of pool money to a contracted team, payable on contract (no milestone) or after the
    milestone is accepted; within the team's contract sum, the challenge's public funding and the pool."""
    require(user.is_bureau, _("只有科技局工作人员可以安排拨付期次"))
    on = on or today()
    problems: list[str] = []
    value = _decimal(amount, _("承诺金额"), problems)
    if value is None and not problems:
        problems.append(_("请填写承诺金额"))
    elif value is not None and value <= 0:
        problems.append(_("承诺金额应大于 0"))
    if milestone is not None and milestone.challenge_id != team.challenge_id:
        problems.append(_("里程碑不属于该榜单"))
    refuse(problems)
    with transaction.atomic():
        pool_id = Challenge.objects.filter(pk=team.challenge_id).values_list("pool_id", flat=True).get()
        if pool_id is None:
            refuse(_("榜单未指定资金池"))
        _pool, sources = _lock_pool(pool_id)
        ch = Challenge.objects.select_for_update().get(pk=team.challenge_id)
        tranches = payouts.locked(Tranche.objects.filter(application=team))
        team = Application.objects.get(pk=team.pk)
        if team.status != Application.Status.RACING:
            refuse(
                _("团队“%(t)s”%(s)s，不能再安排资金")
                % {"t": team.team_name, "s": _team_out(team) or team.get_status_display()}
            )
        promised = sum((t.amount - t.released for t in tranches), ZERO)
        if promised + value > (team.contract_sum or ZERO):
            refuse(
                _("团队“%(t)s”合同经费 %(c)s，已承诺 %(p)s，本期 %(a)s 将超出合同经费")
                % {
                    "t": team.team_name,
                    "c": engine_money.wan(team.contract_sum or ZERO),
                    "p": engine_money.wan(promised),
                    "a": engine_money.wan(value),
                }
            )
        if ch.committed + value > ch.public_funding:
            refuse(
                _("榜单财政资金 %(b)s，已承诺 %(c)s，本期 %(a)s 将超出")
                % {
                    "b": engine_money.wan(ch.public_funding),
                    "c": engine_money.wan(ch.committed),
                    "a": engine_money.wan(value),
                }
            )
        balance = sum((s.balance for s in sources), ZERO)
        open_ = open_commitments(ch.pool_id)
        if open_ + value > balance:
            refuse(
                _("资金池余额 %(b)s，已承诺未拨付 %(o)s，本期 %(a)s 将超出")
                % {"b": engine_money.wan(balance), "o": engine_money.wan(open_), "a": engine_money.wan(value)}
            )
        seq = max((t.seq for t in tranches), default=0) + 1
        tranche = Tranche.objects.create(
            application=team,
            seq=seq,
            milestone=milestone,
            amount=value,
            committed_on=on,
            note=text(note),
            created_by=actor(user),
        )
        Challenge.objects.filter(pk=ch.pk).update(committed=F("committed") + value)
        when = f"里程碑“{milestone.title}”验收后拨付" if milestone else "签约后拨付"
        LedgerEntry.objects.create(
            pool_id=ch.pool_id,
            kind=LedgerEntry.Kind.COMMITMENT,
            challenge=ch,
            application=team,
            tranche=tranche,
            amount=value,
            on=on,
            note=f"{team.team_name} 第 {seq} 期（{when}）",
            created_by=actor(user),
        )
        audit.record(
            actor=user,
            action="challenge.commit",
            obj=tranche,
            changes={"amount": [None, audit.jsonable(value)]},
            note=f"{ch.code} {team.team_name} 第 {seq} 期 {engine_money.wan(value)}（{when}）",
        )
    return tranche


def release_team(*, user, team: Application, on: dt.date, why: str) -> Decimal:
    """Release what is promised to a team and not paid (it was dropped, merged, or the challenge closed).
    Runs inside the caller's transaction."""
    released = ZERO
    Challenge.objects.select_for_update().filter(pk=team.challenge_id).first()
    for t in payouts.locked(Tranche.objects.filter(application=team)):
        left = t.left
        if left <= 0:
            continue
        Tranche.objects.filter(pk=t.pk).update(released=F("released") + left)
        Challenge.objects.filter(pk=team.challenge_id).update(committed=F("committed") - left)
        pool_id = team.challenge.pool_id
        LedgerEntry.objects.create(
            pool_id=pool_id,
            kind=LedgerEntry.Kind.RELEASE,
            challenge_id=team.challenge_id,
            application=team,
            tranche=t,
            amount=left,
            on=on,
            note=f"{team.team_name} 第 {t.seq} 期：{why}",
            created_by=actor(user),
        )
        released += left
    if released:
        audit.record(
            actor=user,
            action="challenge.release",
            obj=team,
            changes={"released": [None, audit.jsonable(released)]},
            note=f"{team.team_name}：{why}",
        )
    return released


def concentrate(
    *, user, challenge: Challenge, milestone: Milestone | None, amount=None, on: dt.date | None = None
) -> list[Tranche]:
    """Later tranches concentrate on the teams still racing: what is left of the public funding (or `amount`)
    split equally among them (engine), each payable after `milestone`."""
    require(user.is_bureau, _("只有科技局工作人员可以安排拨付期次"))
    teams = list(challenge.applications.filter(status=Application.Status.RACING))
    if not teams:
        refuse(_("没有仍在攻关的团队"))
    left = challenge.public_funding - challenge.committed
    problems: list[str] = []
    total = left if amount in (None, "") else _decimal(amount, _("追加金额"), problems)
    refuse(problems)
    if total is None or total <= 0:
        refuse(_("没有可追加的财政资金（剩余额度 %(l)s）") % {"l": engine_money.wan(left)})
    latest = (
        {d.application_id: d.score for d in challenge.race_reviews.order_by("-held_on").first().decisions.all()}
        if challenge.race_reviews.exists()
        else {}
    )
    parts = engine_race.concentrate(total, [{"application_id": t.pk, "score": latest.get(t.pk)} for t in teams])
    out = []
    with transaction.atomic():
        for team in teams:
            room = (team.contract_sum or ZERO) - sum((t.amount - t.released for t in team.tranches.all()), ZERO)
            if parts[team.pk] > room:
                refuse(
                    _("团队“%(t)s”合同经费剩余 %(r)s，不足以追加 %(a)s；请先变更合同经费")
                    % {"t": team.team_name, "r": engine_money.wan(room), "a": engine_money.wan(parts[team.pk])}
                )
            out.append(
                commit(
                    user=user,
                    team=team,
                    amount=parts[team.pk],
                    milestone=milestone,
                    on=on,
                    note=_("赛马资金向在赛团队集中"),
                )
            )
    return out


# ---------------------------------------------------------------- payment batches


def create_batch(*, user, pool: Pool, title: str = "") -> PaymentBatch:
    require(user.is_bureau, _("只有科技局工作人员可以组建拨付批次"))
    with transaction.atomic():
        n = PaymentBatch.objects.filter(pool=pool).count() + 1
        batch = PaymentBatch.objects.create(
            pool=pool, title=text(title) or f"{pool.name} 第 {n} 批拨付", created_by=user
        )
        audit.record(actor=user, action="challenge.batch", obj=batch, note=f"组建拨付批次：{batch.title}")
    return batch


def _pending(tranche_ids=(), subsidy_ids=(), exclude_batch: int | None = None) -> dict:
    """Amounts already put in draft batches (not yet approved), per tranche and per subsidy."""
    qs = Payment.objects.filter(batch__status=PaymentBatch.Status.DRAFT)
    if exclude_batch:
        qs = qs.exclude(batch_id=exclude_batch)
    out = {}
    for tid, amount in qs.filter(tranche_id__in=tranche_ids).values_list("tranche_id", "amount"):
        out[("t", tid)] = out.get(("t", tid), ZERO) + amount
    for sid, amount in qs.filter(subsidy_id__in=subsidy_ids).values_list("subsidy_id", "amount"):
        out[("s", sid)] = out.get(("s", sid), ZERO) + amount
    return out


def milestone_accepted(team: Application, milestone: Milestone | None) -> bool:
    return (
        milestone is None
        or MilestoneReport.objects.filter(
            application=team, milestone=milestone, status=MilestoneReport.Status.ACCEPTED
        ).exists()
    )


def _tranche_facts(
    tranche: Tranche, amount: Decimal, team: Application, ch: Challenge, sources: list[PoolSource], spent: dict
) -> dict:
    """The engine's facts for one tranche payment; `spent` holds what earlier payments of the same approval (or
    of other drafts, when adding) already take from each limit."""
    team_promised = sum((t.amount - t.released for t in team.tranches.all()), ZERO)
    team_paid = sum((t.paid for t in team.tranches.all()), ZERO)
    return {
        "kind": "tranche",
        "amount": amount,
        "tranche": f"第 {tranche.seq} 期",
        "milestone": tranche.milestone.title if tranche.milestone_id else None,
        "milestone_accepted": milestone_accepted(team, tranche.milestone),
        "team": team.team_name,
        "team_out": _team_out(team),
        "tranche_left": tranche.left - spent.get(("t", tranche.pk), ZERO),
        "team_left": team_promised - team_paid - spent.get(("a", team.pk), ZERO),
        "challenge": ch.title,
        "challenge_left": ch.committed - ch.paid - spent.get(("c", ch.pk), ZERO),
        "sources": _source_facts(sources, spent),
    }


def _source_facts(sources: list[PoolSource], spent: dict) -> list[dict]:
    return [
        {
            "name": s.name,
            "share": s.share,
            "balance": s.balance - spent.get(("src", s.pk), ZERO),
            "paid": s.paid + spent.get(("src", s.pk), ZERO),
        }
        for s in sources
    ]


def _subsidy_facts(
    subsidy: Subsidy, amount: Decimal, sources: list[PoolSource], uncommitted: Decimal, spent: dict
) -> dict:
    return {
        "kind": "subsidy",
        "amount": amount,
        "uncommitted": uncommitted - spent.get("free", ZERO),
        "sources": _source_facts(sources, spent),
    }


def _take(
    spent: dict,
    payment_kind: str,
    amount: Decimal,
    parts: dict[str, Decimal],
    sources: list[PoolSource],
    tranche: Tranche | None = None,
    team_id: int | None = None,
    challenge_id: int | None = None,
) -> None:
    for s in sources:
        spent[("src", s.pk)] = spent.get(("src", s.pk), ZERO) + parts[s.name]
    if payment_kind == "tranche":
        for key in (("t", tranche.pk), ("a", team_id), ("c", challenge_id)):
            spent[key] = spent.get(key, ZERO) + amount
    else:
        spent["free"] = spent.get("free", ZERO) + amount


def add_tranche_payment(*, user, batch: PaymentBatch, tranche: Tranche, amount=None) -> Payment:
    """Put (part of) a tranche into a draft batch; refused, with nothing written, when it does not fit."""
    require(user.is_bureau, _("只有科技局工作人员可以组建拨付批次"))
    if batch.status != PaymentBatch.Status.DRAFT:
        refuse(_("只有待审批的批次可以增加拨付"))
    tranche = Tranche.objects.select_related("milestone").get(pk=tranche.pk)  # as stored, not as the caller held it
    team = Application.objects.select_related("challenge").get(pk=tranche.application_id)
    ch = team.challenge
    if ch.pool_id != batch.pool_id:
        refuse(_("该榜单不使用本批次的资金池"))
    pending = _pending([tranche.pk]).get(("t", tranche.pk), ZERO)
    problems: list[str] = []
    value = tranche.left - pending if amount in (None, "") else _decimal(amount, _("拨付金额"), problems)
    refuse(problems)
    if not (team.account_name and team.bank_name and team.account_number):
        refuse(_("团队“%(t)s”未登记收款账户（签约时填写）") % {"t": team.team_name})
    sources = list(PoolSource.objects.filter(pool_id=batch.pool_id).order_by("order", "pk"))
    spent = {("t", tranche.pk): pending}
    facts = _tranche_facts(tranche, value, team, ch, sources, spent)
    refuse(engine_money.payment_problems(facts))
    with transaction.atomic():
        payment = Payment.objects.create(
            batch=batch,
            kind=Payment.Kind.TRANCHE,
            challenge=ch,
            tranche=tranche,
            payee=team.lead_name,
            account_name=team.account_name,
            bank_name=team.bank_name,
            account_number=team.account_number,
            amount=value,
        )
        audit.record(
            actor=user,
            action="challenge.batch",
            obj=batch,
            note=f"纳入 {team.team_name} 第 {tranche.seq} 期 {engine_money.wan(value)}",
        )
    return payment


def add_subsidy_payment(*, user, batch: PaymentBatch, subsidy: Subsidy) -> Payment:
    require(user.is_bureau, _("只有科技局工作人员可以组建拨付批次"))
    if batch.status != PaymentBatch.Status.DRAFT:
        refuse(_("只有待审批的批次可以增加拨付"))
    if subsidy.challenge.pool_id != batch.pool_id:
        refuse(_("该榜单不使用本批次的资金池"))
    if subsidy.payments.exclude(batch__status=PaymentBatch.Status.REFUSED).exists():
        refuse(_("该笔积分补助已纳入拨付批次"))
    account = BankAccount.objects.filter(enterprise_id=subsidy.enterprise_id).first()
    if account is None:
        refuse(_("%(e)s未登记收款账户（企业在“我的政策”中登记）") % {"e": subsidy.enterprise.name})
    sources = list(PoolSource.objects.filter(pool_id=batch.pool_id).order_by("order", "pk"))
    free = sum((s.balance for s in sources), ZERO) - open_commitments(batch.pool_id)
    pending = (
        Payment.objects.filter(
            batch__status=PaymentBatch.Status.DRAFT, kind=Payment.Kind.SUBSIDY, batch__pool=batch.pool
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    refuse(engine_money.payment_problems(_subsidy_facts(subsidy, subsidy.amount, sources, free, {"free": pending})))
    with transaction.atomic():
        payment = Payment.objects.create(
            batch=batch,
            kind=Payment.Kind.SUBSIDY,
            challenge=subsidy.challenge,
            subsidy=subsidy,
            payee=subsidy.enterprise.name,
            account_name=account.account_name,
            bank_name=account.bank_name,
            account_number=account.account_number,
            amount=subsidy.amount,
        )
        audit.record(
            actor=user,
            action="challenge.batch",
            obj=batch,
            note=f"纳入 {subsidy.enterprise.name} 积分补助 {engine_money.wan(subsidy.amount)}",
        )
    return payment


def remove_payment(*, user, payment: Payment) -> None:
    require(user.is_bureau, _("只有科技局工作人员可以调整拨付批次"))
    if payment.batch.status != PaymentBatch.Status.DRAFT:
        refuse(_("只有待审批的批次可以调整"))
    with transaction.atomic():
        audit.record(
            actor=user,
            action="challenge.batch",
            obj=payment.batch,
            note=f"移出 {payment.payee} {engine_money.wan(payment.amount)}",
        )
        payment.delete()


def approve_batch(*, user, batch_id: int, on: dt.date | None = None) -> PaymentBatch:
    """The checker approves: never the maker; pool, sources, challenges and tranches locked; every payment
    checked by the engine against what is left (earlier payments of the batch counted); any problem refuses
    the whole approval with every reason, and nothing is written."""
    require(user.can_admin, _("只有科技局管理员可以审批拨付批次"))
    on = on or today()
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PaymentBatch.Status.DRAFT:
            refuse(_("该批次已处理（%(s)s），不能重复审批") % {"s": batch.get_status_display()})
        payouts.ensure_checker(batch.created_by_id, user)
        payments = list(batch.payments.select_related("tranche__milestone", "subsidy").order_by("pk"))
        if not payments:
            refuse(_("批次中没有拨付明细"))
        pool, sources = _lock_pool(batch.pool_id)
        challenges = {
            c.pk: c for c in payouts.locked(Challenge.objects.filter(pk__in={p.challenge_id for p in payments}))
        }
        tranches = {
            t.pk: t
            for t in payouts.locked(
                Tranche.objects.filter(pk__in=[p.tranche_id for p in payments if p.tranche_id]).select_related(
                    "milestone"
                )
            )
        }
        free = sum((s.balance for s in sources), ZERO) - open_commitments(pool.pk)
        shares = [(s.name, s.share) for s in sources]
        spent: dict = {}
        problems: list[str] = []
        splits = {}
        for p in payments:
            if p.kind == Payment.Kind.TRANCHE:
                t = tranches[p.tranche_id]
                team = Application.objects.prefetch_related("tranches").get(pk=t.application_id)
                facts = _tranche_facts(t, p.amount, team, challenges[p.challenge_id], sources, spent)
            else:
                facts = _subsidy_facts(p.subsidy, p.amount, sources, free, spent)
            found = engine_money.payment_problems(facts)
            problems += [f"{p.payee}：{m}" for m in found]
            paid_so_far = {s.name: s.paid + spent.get(("src", s.pk), ZERO) for s in sources}
            splits[p.pk] = engine_money.split(p.amount, shares, paid_so_far)
            _take(
                spent,
                p.kind,
                p.amount,
                splits[p.pk],
                sources,
                tranches.get(p.tranche_id),
                tranches[p.tranche_id].application_id if p.tranche_id else None,
                p.challenge_id,
            )
        refuse(problems)
        by_name = {s.name: s for s in sources}
        entries = []
        for p in payments:
            for name, part in splits[p.pk].items():
                if part > 0:
                    entries.append(
                        LedgerEntry(
                            pool=pool,
                            kind=LedgerEntry.Kind.PAYMENT,
                            source=by_name[name],
                            challenge_id=p.challenge_id,
                            application_id=tranches[p.tranche_id].application_id if p.tranche_id else None,
                            tranche_id=p.tranche_id,
                            payment=p,
                            amount=part,
                            on=on,
                            created_by=user,
                            note=f"{batch.title}：{p.payee}（{p.get_kind_display()}）",
                        )
                    )
            if p.kind == Payment.Kind.TRANCHE:
                Tranche.objects.filter(pk=p.tranche_id).update(paid=F("paid") + p.amount)
                Challenge.objects.filter(pk=p.challenge_id).update(paid=F("paid") + p.amount)
        LedgerEntry.objects.bulk_create(entries)
        for s in sources:
            part = spent.get(("src", s.pk), ZERO)
            if part:
                PoolSource.objects.filter(pk=s.pk).update(paid=F("paid") + part)
        batch.status, batch.approved_by, batch.approved_at = PaymentBatch.Status.APPROVED, user, timezone.now()
        batch.save(update_fields=["status", "approved_by", "approved_at"])
        total = sum((p.amount for p in payments), ZERO)
        audit.record(
            actor=user,
            action="challenge.batch_approve",
            obj=batch,
            changes={"status": ["draft", "approved"]},
            note=f"{batch.title}：{len(payments)} 笔，合计 {engine_money.wan(total)}；"
            + "；".join(f"{s.name} {engine_money.wan(spent.get(('src', s.pk), ZERO))}" for s in sources),
        )
    return batch


def refuse_batch(*, user, batch_id: int, reason: str) -> PaymentBatch:
    require(user.can_admin, _("只有科技局管理员可以审批拨付批次"))
    if not text(reason):
        refuse(_("请填写退回原因"))
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PaymentBatch.Status.DRAFT:
            refuse(_("该批次已处理（%(s)s）") % {"s": batch.get_status_display()})
        payouts.ensure_checker(batch.created_by_id, user)
        batch.status, batch.reason = PaymentBatch.Status.REFUSED, text(reason)[:500]
        batch.approved_by, batch.approved_at = user, timezone.now()
        batch.save(update_fields=["status", "reason", "approved_by", "approved_at"])
        audit.record(
            actor=user,
            action="challenge.batch_refuse",
            obj=batch,
            changes={"status": ["draft", "refused"]},
            note=batch.reason,
        )
    return batch


def mark_paid(*, user, batch_id: int, on: dt.date | None = None) -> PaymentBatch:
    """The treasury has paid an approved batch."""
    require(user.is_bureau, _("无权登记拨付"))
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PaymentBatch.Status.APPROVED:
            refuse(_("只有已审批的批次可以登记拨付（当前：%(s)s）") % {"s": batch.get_status_display()})
        batch.status, batch.paid_by, batch.paid_on = PaymentBatch.Status.PAID, user, on or today()
        batch.save(update_fields=["status", "paid_by", "paid_on"])
        audit.record(
            actor=user,
            action="challenge.batch_paid",
            obj=batch,
            changes={"status": ["approved", "paid"]},
            note=f"{batch.title} 国库已拨付（{batch.paid_on:%Y-%m-%d}）",
        )
    return batch


def record_export(*, user, batch: PaymentBatch) -> None:
    require(user.is_bureau, _("无权导出国库支付清单"))
    audit.record(actor=user, action="challenge.batch_export", obj=batch, note=_("导出国库支付清单"))


# ---------------------------------------------------------------- the issuer's spending and the points subsidy


def record_spending(
    *,
    user,
    challenge: Challenge,
    amount,
    spent_on: dt.date,
    payee: str,
    description: str,
    evidence_ref: str,
    evidence=None,
) -> Spending:
    """The issuer records what it actually spent on the challenge, with its evidence (a voucher number and,
    optionally, a scan)."""
    require(is_issuer(user, challenge) or user.is_bureau, _("只有发榜企业可以登记实际支出"))
    if challenge.stage not in ("contracting", "implementing", "accepted"):
        refuse(_("签约后才能登记实际支出（当前：%(s)s）") % {"s": challenge.get_stage_display()})
    problems: list[str] = []
    value = _decimal(amount, _("金额"), problems)
    if value is None and not problems:
        problems.append(_("请填写金额"))
    elif value is not None and value <= 0:
        problems.append(_("金额应大于 0"))
    problems += [
        m
        for ok, m in (
            (text(payee), _("请填写收款方")),
            (text(description), _("请填写用途")),
            (text(evidence_ref), _("请填写凭证号（发票或付款凭证编号）")),
        )
        if not ok
    ]
    if spent_on > today():
        problems.append(_("支出日期不能晚于今天"))
    if evidence is not None and getattr(evidence, "size", 0) > 10 * 1024 * 1024:
        problems.append(_("凭证扫描件不能超过 10 MB"))
    refuse(problems)
    with transaction.atomic():
        item = Spending.objects.create(
            challenge=challenge,
            amount=value,
            spent_on=spent_on,
            payee=text(payee),
            description=text(description),
            evidence_ref=text(evidence_ref),
            evidence=evidence or "",
            submitted_by=actor(user),
        )
        audit.record(
            actor=user,
            action="challenge.spending",
            obj=item,
            enterprise=challenge.issuer,
            changes={"amount": [None, audit.jsonable(value)]},
            note=f"{challenge.code} 实际支出 {engine_money.wan(value)}（{item.evidence_ref}）",
        )
    return item


def verify_spending(*, user, spending: Spending, ok: bool, note: str = "", on: dt.date | None = None) -> Spending:
    require(user.is_bureau, _("只有科技局工作人员可以核验支出凭证"))
    if spending.status != Spending.Status.SUBMITTED:
        refuse(_("该笔支出已核验"))
    if not ok and not text(note):
        refuse(_("请填写未通过核验的原因"))
    with transaction.atomic():
        status = Spending.Status.VERIFIED if ok else Spending.Status.REJECTED
        spending.status, spending.verified_by, spending.verified_on = status, user, on or today()
        spending.note = text(note)
        spending.save(update_fields=["status", "verified_by", "verified_on", "note"])
        audit.record(
            actor=user,
            action="challenge.spending_verify",
            obj=spending,
            enterprise=spending.challenge.issuer,
            changes={"status": ["submitted", status]},
            note=text(note),
        )
    return spending


def compute_subsidy(*, user, challenge: Challenge, on: dt.date | None = None) -> Subsidy:
    """The points subsidy on the verified spending not yet subsidised, by the rule in force (engine)."""
    require(user.is_bureau, _("只有科技局工作人员可以核定积分补助"))
    on = on or today()
    with transaction.atomic():
        items = payouts.locked(challenge.spending.filter(status=Spending.Status.VERIFIED, subsidy__isnull=True))
        if not items:
            refuse(_("没有已核验且未补助的实际支出"))
        key, params = rule("points_subsidy", on)
        basis, amount, why = engine_money.subsidy([s.amount for s in items], params["rate"])
        if amount <= 0:
            refuse(_("补助金额为 0"))
        sub = Subsidy.objects.create(
            challenge=challenge,
            enterprise=challenge.issuer,
            basis=basis,
            rate=Decimal(str(params["rate"])),
            amount=amount,
            rule=key,
            params=params,
            explanation=why,
            computed_on=on,
            computed_by=actor(user),
        )
        Spending.objects.filter(pk__in=[s.pk for s in items]).update(subsidy=sub)
        audit.record(
            actor=user,
            action="challenge.subsidy",
            obj=sub,
            enterprise=challenge.issuer,
            changes={"amount": [None, audit.jsonable(amount)]},
            note=f"{challenge.code}：{why}（{key}）",
        )
    return sub


# ---------------------------------------------------------------- claw-backs


def flag_clawback(*, user, team: Application, amount, reason: str) -> Clawback:
    require(user.is_bureau, _("只有科技局工作人员可以登记追回"))
    problems: list[str] = []
    value = _decimal(amount, _("追回金额"), problems)
    if value is None and not problems:
        problems.append(_("请填写追回金额"))
    elif value is not None and value <= 0:
        problems.append(_("追回金额应大于 0"))
    if not text(reason):
        problems.append(_("请填写追回原因"))
    refuse(problems)
    paid = team.tranches.aggregate(s=Sum("paid"))["s"] or ZERO
    flagged = team.clawbacks.exclude(status=Clawback.Status.WAIVED).aggregate(s=Sum("amount"))["s"] or ZERO
    if flagged + value > paid:
        refuse(_("追回金额超过该团队已拨付未追回的金额 %(a)s") % {"a": engine_money.wan(paid - flagged)})
    with transaction.atomic():
        c = Clawback.objects.create(application=team, amount=value, reason=text(reason), flagged_by=actor(user))
        audit.record(
            actor=user,
            action="challenge.clawback",
            obj=c,
            changes={"amount": [None, audit.jsonable(value)]},
            note=f"{team.team_name}：{text(reason)}",
        )
    return c


def resolve_clawback(*, user, clawback_id: int, status: str, on: dt.date | None = None) -> Clawback:
    """Recovered money returns to the pool, split by its shares (ledger return rows); a waiver writes none."""
    require(user.can_admin, _("只有科技局管理员可以处理追回"))
    if status not in (Clawback.Status.RECOVERED, Clawback.Status.WAIVED):
        refuse(_("处理结果无效"))
    on = on or today()
    with transaction.atomic():
        c = (
            Clawback.objects.select_for_update(of=("self",))
            .select_related("application__challenge")
            .get(pk=clawback_id)
        )
        if c.status != Clawback.Status.OPEN:
            refuse(_("该记录已处理"))
        if status == Clawback.Status.RECOVERED:
            ch = c.application.challenge
            pool, sources = _lock_pool(ch.pool_id)
            parts = engine_money.split(
                c.amount, [(s.name, s.share) for s in sources], {s.name: s.returned for s in sources}
            )
            for s in sources:
                if parts[s.name] > 0:
                    PoolSource.objects.filter(pk=s.pk).update(returned=F("returned") + parts[s.name])
                    LedgerEntry.objects.create(
                        pool=pool,
                        kind=LedgerEntry.Kind.RETURN,
                        source=s,
                        challenge=ch,
                        application=c.application,
                        clawback=c,
                        amount=parts[s.name],
                        on=on,
                        note=f"{c.application.team_name} 退回：{c.reason}"[:300],
                        created_by=user,
                    )
            Challenge.objects.filter(pk=ch.pk).update(returned=F("returned") + c.amount)
        c.status, c.resolved_by, c.resolved_on = status, user, on
        c.save(update_fields=["status", "resolved_by", "resolved_on"])
        audit.record(actor=user, action="challenge.clawback_resolve", obj=c, changes={"status": ["open", status]})
    return c
