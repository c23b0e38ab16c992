"""The pool's money: each payment split by the pool's shares (shown per payment), the points subsidy from the
dated rule (and the bureau's version of it), releases, claw-backs, the treasury list, and the ledger's totals."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from kechuang.challenges import services
from kechuang.challenges.models import LedgerEntry, PoolSource, Spending, Subsidy
from kechuang.core.models import AuditEvent
from kechuang.policies.models import BankAccount
from kechuang.rules import services as rule_services

from .conftest import TODAY, D

pytestmark = pytest.mark.django_db


def _sources():
    return {s.name: s for s in PoolSource.objects.all()}


def test_the_pool_is_funded_one_to_one_to_one_and_the_ledger_adds_up(cworld, pool):
    s = _sources()
    assert {n: (x.share, x.pledged, x.contributed) for n, x in s.items()} == {
        n: (Decimal("1"), Decimal("1000"), Decimal("1000")) for n in ("省级财政", "市级财政", "产研院")
    }
    assert LedgerEntry.objects.filter(kind="contribution").count() == 3


def test_every_payment_is_split_by_the_shares_and_the_sources_stay_at_their_shares(cworld, racing, pool, client_for):
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    batch = services.create_batch(user=staff, pool=pool)
    for t in racing["teams"]:
        services.add_tranche_payment(user=staff, batch=batch, tranche=t.tranches.get(seq=1))
    services.approve_batch(user=admin, batch_id=batch.pk, on=TODAY)
    parts = {p.payee: [e.amount for e in p.ledger.order_by("source__order")] for p in batch.payments.all()}
    assert parts == {
        "太原理工大学": [Decimal("33.3334"), Decimal("33.3333"), Decimal("33.3333")],
        "山西大学": [Decimal("33.3333"), Decimal("33.3334"), Decimal("33.3333")],
        "太原乙材料有限公司": [Decimal("33.3333"), Decimal("33.3333"), Decimal("33.3334")],
    }
    assert {n: x.paid for n, x in _sources().items()} == dict.fromkeys(
        ("省级财政", "市级财政", "产研院"), Decimal("100")
    )
    page = client_for(staff).get(reverse("challenges:batch", args=[batch.pk])).content.decode()
    assert "33.33 万元" in page and "已审批" in page
    ch = racing["challenge"]
    ch.refresh_from_db()
    assert (ch.committed, ch.paid) == (Decimal("300"), Decimal("300"))
    event = AuditEvent.objects.get(action="challenge.batch_approve")
    assert event.actor == admin and "省级财政 100.00 万元；市级财政 100.00 万元；产研院 100.00 万元" in event.note


def test_the_treasury_list_has_the_payments_their_split_and_no_formula(cworld, racing, pool, client_for):
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    team = racing["teams"][0]
    type(team).objects.filter(pk=team.pk).update(account_name='=HYPERLINK("http://x")')
    team.refresh_from_db()
    batch = services.create_batch(user=staff, pool=pool)
    services.add_tranche_payment(user=staff, batch=batch, tranche=team.tranches.get(seq=1))
    client = client_for(staff)
    assert client.get(reverse("challenges:batch_export", args=[batch.pk])).status_code == 302  # not approved
    services.approve_batch(user=admin, batch_id=batch.pk)
    response = client.get(reverse("challenges:batch_export", args=[batch.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "收款单位",
        "统一社会信用代码（选填）",
        "户名",
        "开户行",
        "账号",
        "金额（万元）",
        "金额（元）",
        "用途",
        "省级财政（万元）",
        "市级财政（万元）",
        "产研院（万元）",
    )
    assert rows[1][3] == '\'=HYPERLINK("http://x")'  # neutralised: shown as text, never run
    assert rows[1][6:] == (100, 1000000, f"{racing['challenge'].code} 第 1 期", 33.3334, 33.3333, 33.3333)
    assert AuditEvent.objects.filter(action="challenge.batch_export").count() == 1
    services.mark_paid(user=staff, batch_id=batch.pk, on=TODAY)
    batch.refresh_from_db()
    assert (batch.status, batch.paid_on) == ("paid", TODAY)


def test_the_points_subsidy_is_20_percent_of_verified_spending_by_the_dated_rule(cworld, racing, pool):
    ch = racing["challenge"]
    issuer, staff = cworld["users"]["enterprise_user"], cworld["users"]["bureau_staff"]
    a = services.record_spending(
        user=issuer,
        challenge=ch,
        amount="120",
        spent_on=TODAY - D(days=3),
        payee="太原理工大学",
        description="委托研发经费",
        evidence_ref="FP001",
    )
    b = services.record_spending(
        user=issuer,
        challenge=ch,
        amount="80.5",
        spent_on=TODAY - D(days=2),
        payee="山西大学",
        description="检测费",
        evidence_ref="FP002",
    )
    rejected = services.record_spending(
        user=issuer,
        challenge=ch,
        amount="999",
        spent_on=TODAY - D(days=1),
        payee="某公司",
        description="招待费",
        evidence_ref="FP003",
    )
    for item in (a, b):
        services.verify_spending(user=staff, spending=item, ok=True)
    services.verify_spending(user=staff, spending=rejected, ok=False, note="与揭榜项目无关")
    subsidy = services.compute_subsidy(user=staff, challenge=ch, on=TODAY)
    assert (subsidy.basis, subsidy.amount, subsidy.rate) == (Decimal("200.5"), Decimal("40.1"), Decimal("0.2"))
    assert subsidy.rule == "points_subsidy@2023-01-01" and subsidy.params == {"rate": 0.2}
    assert subsidy.explanation == "已核验实际支出 2 笔，合计 200.50 万元 × 20% = 40.10 万元"
    assert set(Spending.objects.filter(subsidy=subsidy).values_list("pk", flat=True)) == {a.pk, b.pk}
    with pytest.raises(Exception, match="没有已核验且未补助的实际支出"):
        services.compute_subsidy(user=staff, challenge=ch, on=TODAY)
    # the bureau raises the rate from a date: later subsidies use it, the stored one keeps its own
    rule_services.add_parameter_version(
        user=cworld["users"]["bureau_admin"],
        kind="challenge",
        rule_id="points_subsidy",
        parameter="rate",
        value=0.25,
        effective_from=TODAY,
        source="本市细则",
        note="提高补助",
    )
    c = services.record_spending(
        user=issuer,
        challenge=ch,
        amount="100",
        spent_on=TODAY,
        payee="太原理工大学",
        description="委托研发经费",
        evidence_ref="FP004",
    )
    services.verify_spending(user=staff, spending=c, ok=True)
    later = services.compute_subsidy(user=staff, challenge=ch, on=TODAY)
    assert (later.amount, later.params) == (Decimal("25"), {"rate": 0.25})
    assert Subsidy.objects.get(pk=subsidy.pk).amount == Decimal("40.1")


def test_a_subsidy_is_paid_in_a_batch_split_by_shares_and_only_from_money_nobody_was_promised(cworld, racing, pool):
    ch = racing["challenge"]
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    s = services.record_spending(
        user=staff,
        challenge=ch,
        amount="100",
        spent_on=TODAY,
        payee="太原理工大学",
        description="研发",
        evidence_ref="FP1",
    )
    services.verify_spending(user=staff, spending=s, ok=True)
    subsidy = services.compute_subsidy(user=staff, challenge=ch, on=TODAY)
    batch = services.create_batch(user=staff, pool=pool)
    with pytest.raises(Exception, match="太原甲科技有限公司未登记收款账户"):
        services.add_subsidy_payment(user=staff, batch=batch, subsidy=subsidy)
    BankAccount.objects.create(
        enterprise=ch.issuer, account_name=ch.issuer.name, bank_name="晋商银行", account_number="6222020200112233"
    )
    # the pool has 3000万, 300万 promised to the teams: a subsidy may use at most 2700万
    PoolSource.objects.update(paid=Decimal("900"))  # 100万 left per source, 300万 in all, all promised
    with pytest.raises(
        Exception, match=re.escape("拨付金额 20.00 万元 超过资金池未承诺余额 0.00 万元（其余已承诺给揭榜团队）")
    ):
        services.add_subsidy_payment(user=staff, batch=batch, subsidy=subsidy)
    PoolSource.objects.update(paid=Decimal("0"))
    services.add_subsidy_payment(user=staff, batch=batch, subsidy=subsidy)
    services.approve_batch(user=admin, batch_id=batch.pk, on=TODAY)
    assert [e.amount for e in LedgerEntry.objects.filter(payment__subsidy=subsidy).order_by("source__order")] == [
        Decimal("6.6667"),
        Decimal("6.6667"),
        Decimal("6.6666"),
    ]
    with pytest.raises(Exception, match="该笔积分补助已纳入拨付批次"):
        services.add_subsidy_payment(user=staff, batch=services.create_batch(user=staff, pool=pool), subsidy=subsidy)


def test_eliminating_a_team_releases_what_it_was_promised_and_a_clawback_returns_money_by_shares(
    cworld, racing, experts, pool
):
    ch, teams = racing["challenge"], racing["teams"]
    staff, admin = cworld["users"]["bureau_staff"], cworld["users"]["bureau_admin"]
    batch = services.create_batch(user=staff, pool=pool)
    services.add_tranche_payment(user=staff, batch=batch, tranche=teams[2].tranches.get(seq=1), amount="60")
    services.approve_batch(user=admin, batch_id=batch.pk)
    m1 = ch.milestones.get(seq=1)
    for t in teams[:2]:
        services.report_milestone(user=t.submitted_by, team=t, milestone=m1, summary="完成", on=m1.due_on)
    services.race_review(
        user=staff,
        challenge=ch,
        milestone=m1,
        held_on=m1.due_on,
        experts=experts[2:5],
        staff="",
        note="",
        decisions={
            teams[0].pk: {"decision": "continue", "score": "85"},
            teams[1].pk: {"decision": "continue", "score": "80"},
            teams[2].pk: {"decision": "eliminate", "reason": "未提交报告"},
        },
    )
    released = LedgerEntry.objects.get(kind="release", application=teams[2])
    assert released.amount == Decimal("40") and released.note.endswith("赛马评审淘汰")
    ch.refresh_from_db()
    assert (ch.committed, ch.paid) == (Decimal("260"), Decimal("60"))
    with pytest.raises(Exception, match=re.escape("追回金额超过该团队已拨付未追回的金额 60.00 万元")):
        services.flag_clawback(user=staff, team=teams[2], amount="60.0001", reason="结余退回")
    c = services.flag_clawback(user=staff, team=teams[2], amount="10", reason="结余退回")
    before = {n: x.returned for n, x in _sources().items()}
    services.resolve_clawback(user=admin, clawback_id=c.pk, status="recovered", on=TODAY)
    assert {n: x.returned - before[n] for n, x in _sources().items()} == {
        "省级财政": Decimal("3.3334"),
        "市级财政": Decimal("3.3333"),
        "产研院": Decimal("3.3333"),
    }
    ch.refresh_from_db()
    assert ch.returned == Decimal("10")
    assert LedgerEntry.objects.filter(kind="return", clawback=c).count() == 3


def test_the_pool_cannot_promise_more_than_its_balance(cworld, racing, pool):
    ch, teams = racing["challenge"], racing["teams"]
    PoolSource.objects.update(paid=Decimal("900"))  # 100万 per source left, 300万 in all, all of it promised
    with pytest.raises(
        Exception, match=re.escape("资金池余额 300.00 万元，已承诺未拨付 300.00 万元，本期 0.0001 万元 将超出")
    ):
        services.commit(
            user=cworld["users"]["bureau_staff"], team=teams[0], amount="0.0001", milestone=ch.milestones.first()
        )


def test_the_database_refuses_an_overspent_source_even_without_the_service(cworld, pool):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PoolSource.objects.filter(name="省级财政").update(paid=Decimal("1000.0001"))


def test_the_ledger_page_filters_and_exports(cworld, racing, pool, client_for):
    client = client_for(cworld["users"]["bureau_staff"])
    page = client.get(reverse("challenges:pool") + "?kind=commitment").content.decode()
    assert "理工轻合金团队 第 1 期（签约后拨付）" in page and "<td>出资到位</td>" not in page
    assert page.count("<td>承诺</td>") == 3
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(client.get(reverse("challenges:pool") + "?format=xlsx").content)
        ).active.iter_rows(values_only=True)
    )
    assert rows[0] == ("日期", "资金池", "类别", "资金来源", "榜单", "团队", "期次", "金额（万元）", "摘要")
    assert sorted(r[2] for r in rows[1:]) == ["出资到位"] * 3 + ["承诺"] * 3
    assert dt.date.fromisoformat(str(rows[1][0])[:10])
