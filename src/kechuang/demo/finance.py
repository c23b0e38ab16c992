"""The demo region's science-and-technology finance: the bureau's 5 partner banks with branches and staff, 9
products, about 600 loans over the two years before the build date, applications and consents in every state,
loan records reported by the banks, a risk-compensation pool with its ledger, two angel funds with a pipeline
and write-offs, 7 bank–firm matchmaking events, and last year's finance policy payouts.

Calibration (field-notes.md): 泰州's 创新积分贷 ran 662 loans worth 41.12亿 in half a year over a points
database of 8000+ firms, about 621万 a loan. The demo region has 8000 firms but a programme in its second year,
so it grows from about 90 loans in its first half-year to about 220 in its last, at an average near 600万;
晋中 held 7 matchmaking events; 泰州's angel fund approved 5 projects and closed 3 (2800万) in under 3 months.

Everything is drawn from the seed (and dated relative to the build date, so open applications are open and a
late one is late on the day the demo is built). Loans go to firms the product finder says qualify, with
amounts within their indicative limits and rates within LPR + spread on their dates. Rows are bulk-created;
one audit event records the build.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

import numpy as np
import polars as pl
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kechuang.accounts.models import Organisation, User
from kechuang.core import audit, bulk
from kechuang.engine.finance import pool as pool_engine
from kechuang.engine.finance.consent import SCOPES, add_months
from kechuang.engine.finance.products import evaluate
from kechuang.engine.finance.rules import MARKET_RULE
from kechuang.engine.ruledata import rulebook
from kechuang.engine.workdays import add_workdays, is_workday
from kechuang.enterprises.models import Enterprise
from kechuang.finance import loaders
from kechuang.finance.models import (
    Application,
    ApplicationEvent,
    BankStaff,
    Branch,
    CommitteeVote,
    Consent,
    ConsentAccess,
    Deal,
    DealDocument,
    DealEvent,
    Fund,
    FundSource,
    Loan,
    LoanImport,
    LoanProduct,
    MatchEvent,
    PoolEntry,
    RiskPool,
)
from kechuang.rules import selectors as rule_selectors

FOUR = Decimal("0.0001")
LOAN_TARGET = 600
MONTHS = 24
PLATFORM_SHARE = 0.75  # the rest are loans the banks reported (imported records)
DEFAULT_SHARE = 0.025
OVERDUE_SHARE = 0.02
LATE_SHARE = 0.1  # decisions after the promised date
# Last year's finance policies paid in the demo (the interest subsidy is 快申快享: firms claim it themselves).
FINANCE_POLICIES = ("guarantee_fee_waiver", "risk_compensation")

# (bank, branches, staff username and name, products: (code, name, rule id, share of loans, amount share of the
# firm's indicative limit (low, high))). bank_user (晋商银行) comes from region.yaml.
BANKS = (
    (
        "晋商银行",
        ("科技支行", "长风街支行"),
        ("bank_user", "晋商银行客户经理"),
        (
            ("jinshang_points_loan", "创新积分贷", "points_loan_taiyuan", 0.30, (0.5, 1.0)),
            ("jinshang_ip_pledge", "知识产权质押贷", "ip_pledge_jinshang", 0.08, (0.4, 1.0)),
        ),
    ),
    (
        "山西银行",
        ("科创支行", "小店支行"),
        ("bank_shanxi", "山西银行客户经理"),
        (
            ("shanxi_startup_eloan", "初创e贷", "startup_eloan_shanxi", 0.05, (0.5, 1.0)),
            ("shanxi_specialized_loan", "专精特新贷", "specialized_loan_shanxi", 0.08, (0.4, 0.9)),
        ),
    ),
    (
        "太原农商银行",
        ("高新区支行", "晋源支行"),
        ("bank_tyrcb", "太原农商银行客户经理"),
        (
            ("tyrcb_tech_loan", "科技贷", "tech_loan_tyrcb", 0.10, (0.5, 1.0)),
            ("tyrcb_points_quick", "积分快贷", "points_quick_tyrcb", 0.09, (0.6, 1.0)),
        ),
    ),
    (
        "中国建设银行山西省分行",
        ("太原科技支行", "万柏林支行"),
        ("bank_ccb", "建设银行客户经理"),
        (
            ("ccb_invest_loan", "投贷联动", "invest_loan_ccb", 0.05, (0.4, 0.9)),
            ("ccb_hte_loan", "高企贷", "hte_loan_ccb", 0.15, (0.5, 1.0)),
        ),
    ),
    (
        "交通银行山西省分行",
        ("科技金融服务中心",),
        ("bank_bocom", "交通银行客户经理"),
        (("bocom_guarantee_loan", "科创担保贷", "guarantee_loan_bocom", 0.10, (0.5, 1.0)),),
    ),
)
PURPOSES = ("采购研发设备", "补充流动资金", "中试线建设", "原材料采购", "支付研发人员薪酬", "扩大生产", "订单生产备货")
DECLINE_REASONS = (
    "经营现金流不足以覆盖还款",
    "征信记录有逾期",
    "申请金额超出还款能力",
    "资料不全，补充后可重新申请",
    "主营业务与产品支持方向不符",
)
SCOPE_SETS = ((list(SCOPES), 0.6), (["points", "tiers", "figures"], 0.25), (["points", "diagnosis"], 0.15))


def _q(x: float) -> Decimal:
    return Decimal(str(round(x, 4))).quantize(FOUR)


def _workday_on_or_after(day: dt.date) -> dt.date:
    while not is_workday(day)[0]:
        day += dt.timedelta(days=1)
    return day


def build(region, progress=print, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    rng = np.random.default_rng(region.seed + 18)
    with transaction.atomic():
        progress("写入合作银行、网点与客户经理账号……")
        banks, staff = _banks()
        products = _products(banks, today)
        progress("按产品规则为符合条件的企业生成近两年的融资申请与贷款……")
        candidates = _candidates(products, today)
        versions = _lpr_versions()
        stats = _loans(rng, products, candidates, banks, staff, today, versions)
        stats.update(_firm_story(region, products, banks, staff, today, versions))
        progress("风险补偿资金池、天使基金与银企对接活动……")
        stats["pool_claims"] = _pool(today)
        stats["deals"] = _funds(rng, today)
        stats["events"] = _events(rng, banks, today)
        audit.record(
            actor=None,
            action="demo.build",
            obj=next(iter(banks.values())),
            note=f"生成科技金融演示数据：贷款 {stats['loans']} 笔，申请 {stats['applications']} 件",
        )
    progress("按贷款记录认定上年度贴息、免担保费与风险补偿并兑现……")
    stats["payouts"] = _last_year_payouts(today)
    return stats


# ---------------------------------------------------------------------------------------------- banks


def _banks() -> tuple[dict, dict]:
    banks = {o.name: o for o in Organisation.objects.filter(kind=Organisation.Kind.BANK)}
    # Every demo account has the same published password: reuse bank_user's hash instead of hashing it again.
    hashed = User.objects.get(username="bank_user").password
    staff = {}
    for name, branches, (username, display), _products in BANKS:
        bank = banks[name]
        made = [Branch.objects.create(bank=bank, name=b, region_id=bank.region_id) for b in branches]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username, display_name=display, role="bank_user", organisation=bank, password=hashed
            )
        BankStaff.objects.create(user=user, branch=made[0], title="客户经理")
        staff[name] = (user, made)
    return banks, staff


def _products(banks: dict, today: dt.date) -> list[dict]:
    out = []
    launched = add_months(today, -MONTHS - 1).replace(day=1)
    for name, _branches, _staff, items in BANKS:
        for code, pname, rule_id, share, amounts in items:
            product = LoanProduct.objects.create(
                code=code,
                name=pname,
                bank=banks[name],
                rule_id=rule_id,
                launched_on=launched,
                summary=f"本局科技金融产品，由{name}提供",
            )
            out.append(
                {
                    "product": product,
                    "bank": banks[name],
                    "share": share,
                    "amounts": amounts,
                    "terms": loaders.product_terms(product, today),
                }
            )
    return out


def _candidates(products: list[dict], today: dt.date) -> dict[str, pl.DataFrame]:
    """Per product code: the firms that qualify today with their limit, points, stage and top tier."""
    frame = loaders.firm_frame(Enterprise.objects.all(), today)
    snap = frame.select("uscc", "points", "stage", loaders.top_tier(frame).alias("tier"))
    result = evaluate(frame, [p["terms"] for p in products], loaders.lpr(today))
    ids = pl.DataFrame(
        list(Enterprise.objects.values_list("uscc", "pk")), schema={"uscc": pl.Utf8, "eid": pl.Int64}, orient="row"
    )
    good = (
        result.filter((pl.col("status") == "qualifies") & (pl.col("limit") >= 10))
        .join(snap, on="uscc", how="left", suffix="_f")
        .join(ids, on="uscc")
    )
    return {p["product"].code: good.filter(pl.col("product") == p["product"].code) for p in products}


# ---------------------------------------------------------------------------------------------- loans


@lru_cache(maxsize=4096)
def _lpr(on: dt.date, overrides: tuple) -> dict:
    """The LPR in force on `on` with the bureau's versions (read once per build, passed in): no query per date."""
    doc = rulebook("finance_market").in_force(MARKET_RULE, on)
    return doc.params(on, [dict(o) for o in overrides]).as_dict()


def _lpr_versions() -> tuple:
    return tuple(tuple(sorted(o.items())) for o in rule_selectors.overrides("finance_market", MARKET_RULE))


def _rate(terms, on: dt.date, rng, versions: tuple = ()) -> Decimal:
    lpr = _lpr(on, versions)
    base = lpr["lpr_5y"] if terms.value("lpr_term") == "5y" else lpr["lpr_1y"]
    ceiling = base + terms.params["rate_spread_bp"] / 100
    return Decimal(str(round(max(ceiling - rng.integers(0, 11) * 0.05, 2.5), 2)))


def _loans(rng, products, candidates, banks, staff, today: dt.date, versions: tuple) -> dict:
    start = add_months(today, -MONTHS)
    weights = np.linspace(1.0, 2.6, MONTHS)
    counts = np.round(weights / weights.sum() * LOAN_TARGET).astype(int)
    shares = np.array([p["share"] for p in products])
    apps, events, consents, platform_loans = [], [], [], []
    imported: dict[str, list] = {}
    contract_seq = 0
    for month, n in enumerate(counts):
        first = add_months(start, month)
        for _ in range(n):
            spec = products[rng.choice(len(products), p=shares / shares.sum())]
            pool = candidates[spec["product"].code]
            if pool.height == 0:
                continue
            weight = None
            if spec["terms"].doc.product_kind == "guaranteed":  # leaders borrow with guarantees too (fee waiver)
                ranks = pool["points"].rank(descending=True).fill_null(pool.height).to_numpy()
                weight = np.where(ranks <= 150, 6.0, 1.0)
                weight = weight / weight.sum()
            firm = pool.row(int(rng.choice(pool.height, p=weight)), named=True)
            submitted = _workday_on_or_after(first + dt.timedelta(days=int(rng.integers(0, 28))))
            days = int(spec["terms"].params["decision_days"])
            late = rng.random() < LATE_SHARE
            used = days + int(rng.integers(1, 5)) if late else int(rng.integers(1, days + 1))
            decided = add_workdays(submitted, used).date
            contracted = add_workdays(decided, int(rng.integers(1, 4))).date
            disbursed = add_workdays(contracted, int(rng.integers(0, 3))).date
            if disbursed > today:
                continue
            low, high = spec["amounts"]
            amount = max(round(firm["limit"] * rng.uniform(low, high) / 10) * 10, 10)
            term = 12 if spec["terms"].params["max_amount"] <= 100 else int(rng.choice([12, 24, 36], p=[0.7, 0.2, 0.1]))
            rate = _rate(spec["terms"], decided, rng, versions)
            contract_seq += 1
            loan = _loan_row(rng, spec, firm, amount, rate, disbursed, term, today, contract_seq)
            if rng.random() < PLATFORM_SHARE:
                app = _application_row(rng, spec, firm, amount, term, submitted, decided, rate, staff, "disbursed")
                apps.append(app)
                consents.append(_consent_row(rng, spec, firm, submitted, today))
                events.append(
                    [
                        ("received", submitted, ""),
                        ("approved", decided, f"批准 {amount} 万元，年利率 {rate}%"),
                        ("contract", contracted, ""),
                        ("disbursed", disbursed, f"放款 {amount} 万元"),
                        *_loan_events(loan),
                    ]
                )
                platform_loans.append(loan)
                app.status = {
                    "disbursed": "disbursed",
                    "repaid": "repaid",
                    "overdue": "overdue",
                    "defaulted": "defaulted",
                }[loan.status]
            else:
                loan.source = Loan.Source.IMPORT
                imported.setdefault(spec["bank"].name, []).append(loan)
    stats = _unfunded(rng, products, candidates, staff, today, apps, events, consents, versions)
    _save(apps, events, consents, platform_loans, staff)
    for name, rows in imported.items():
        user = staff[name][0]
        batch = LoanImport.objects.create(
            bank=banks[name],
            file_name=f"{name}科技贷款报送_{today:%Y%m}.xlsx",
            rows_total=len(rows) + 2,
            rows_created=len(rows),
            rows_rejected=2,
            created_by=user,
            errors=[
                {
                    "file": "",
                    "row": len(rows) + 2,
                    "column": "统一社会信用代码",
                    "value": "91140105MA0000000X",
                    "message": "统一社会信用代码校验位错误",
                },
                {"file": "", "row": len(rows) + 3, "column": "年利率（%）", "value": "", "message": "必填"},
            ],
        )
        for loan in rows:
            loan.import_batch = batch
        Loan.objects.bulk_create(rows, batch_size=500)
    return {**stats, "loans": Loan.objects.count(), "applications": Application.objects.count()}


def _loan_row(rng, spec, firm, amount, rate, disbursed, term, today, seq) -> Loan:
    maturity = add_months(disbursed, term)
    terms = spec["terms"]
    guaranteed = terms.doc.product_kind == "guaranteed"
    fee_rate = terms.value("guarantee_fee_rate")
    loan = Loan(
        bank=spec["bank"],
        enterprise_id=firm["eid"],
        product=spec["product"],
        contract_no=f"{spec['product'].code.split('_')[0].upper()}{disbursed:%Y%m}{seq:05d}",
        amount=_q(amount),
        rate=rate,
        disbursed_on=disbursed,
        maturity_on=maturity,
        guaranteed=guaranteed,
        guarantee_fee=_q(amount * fee_rate * term / 12) if guaranteed and fee_rate else None,
        points=firm["points"],
        stage=firm["stage_f"] or "",
        tier=firm["tier"] or "",
    )
    age = (today - disbursed).days
    draw = rng.random()
    if age > 120 and draw < DEFAULT_SHARE:
        span = min((maturity - disbursed).days, age, 300) - 90
        loan.status = Loan.Status.DEFAULTED
        loan.defaulted_on = disbursed + dt.timedelta(days=90 + int(rng.integers(0, span)))
        loan.overdue_on = loan.defaulted_on - dt.timedelta(days=90)
        loan.defaulted_principal = _q(amount * rng.uniform(0.5, 1.0))
    elif maturity <= today:
        loan.status = Loan.Status.REPAID
        loan.closed_on = maturity - dt.timedelta(days=int(rng.integers(0, 30)))
    elif draw < DEFAULT_SHARE + OVERDUE_SHARE and age > 60:
        loan.status, loan.overdue_on = Loan.Status.OVERDUE, today - dt.timedelta(days=int(rng.integers(5, 60)))
    return loan


def _loan_events(loan: Loan) -> list[tuple]:
    if loan.status == Loan.Status.REPAID:
        return [("repaid", loan.closed_on, "")]
    if loan.status == Loan.Status.OVERDUE:
        return [("overdue", loan.overdue_on, "")]
    if loan.status == Loan.Status.DEFAULTED:
        return [
            ("overdue", loan.overdue_on, ""),
            ("defaulted", loan.defaulted_on, f"违约本金 {loan.defaulted_principal} 万元"),
        ]
    return []


def _application_row(rng, spec, firm, amount, term, submitted, decided, rate, staff, status) -> Application:
    terms = spec["terms"]
    days = int(terms.params["decision_days"])
    deadline = add_workdays(submitted, days)
    branches = staff[spec["bank"].name][1]
    return Application(
        enterprise_id=firm["eid"],
        product=spec["product"],
        bank=spec["bank"],
        branch=branches[int(rng.integers(0, len(branches)))],
        amount=_q(amount),
        term_months=term,
        purpose=PURPOSES[int(rng.integers(0, len(PURPOSES)))],
        status=status,
        submitted_on=submitted,
        decision_days=days,
        deadline_on=deadline.date,
        deadline_basis=deadline.basis[:300],
        decided_on=decided,
        approved_amount=_q(amount) if decided and status != "declined" else None,
        approved_rate=rate if decided and status != "declined" else None,
        rule_key=terms.doc.key,
        terms={k: v for k, v in terms.params.items()},
        finder={
            "status": "qualifies",
            "limit": firm["limit"],
            "explanation": firm["explanation"],
            "rate_ceiling": firm["rate_ceiling"],
        },
        points=firm["points"],
        stage=firm["stage_f"] or "",
        tier=firm["tier"] or "",
        created_by_id=None,
    )


def _consent_row(rng, spec, firm, submitted, today, months=6) -> Consent:
    sets, weights = zip(*SCOPE_SETS, strict=True)
    scopes = sets[int(rng.choice(len(sets), p=np.array(weights)))]
    consent = Consent(
        enterprise_id=firm["eid"],
        bank=spec["bank"],
        scopes=scopes,
        starts_on=submitted,
        ends_on=add_months(submitted, months),
        purpose=f"融资申请：{spec['product'].name}",
    )
    if rng.random() < 0.05 and consent.ends_on > today:
        consent.withdrawn_at = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10)))
    return consent


def _unfunded(rng, products, candidates, staff, today, apps, events, consents, versions) -> dict:
    """Applications that did not (yet) become loans: declined, withdrawn, and open ones (some past their
    promised date), plus two across the National Day holiday with its 调休 working Saturday."""
    counts = {"declined": 60, "withdrawn": 15, "received": 18, "due_diligence": 14, "approved": 8, "contract": 5}
    for status, n in counts.items():
        for _ in range(n):
            spec = products[int(rng.integers(0, len(products)))]
            pool = candidates[spec["product"].code]
            if pool.height == 0:
                continue
            firm = pool.row(int(rng.integers(0, pool.height)), named=True)
            days = int(spec["terms"].params["decision_days"])
            if status in ("received", "due_diligence"):
                back = int(rng.integers(1, days + 6))  # some already past the promise
                submitted = today - dt.timedelta(days=back)
            elif status in ("approved", "contract"):
                submitted = today - dt.timedelta(days=int(rng.integers(8, 30)))
            else:
                submitted = today - dt.timedelta(days=int(rng.integers(20, 700)))
            submitted = _workday_on_or_after(submitted)
            if submitted > today:
                submitted = today
            decided = None
            if status in ("declined", "approved", "contract"):
                decided = min(add_workdays(submitted, int(rng.integers(1, days + 3))).date, today)
            amount = max(round(firm["limit"] * rng.uniform(0.5, 1.0) / 10) * 10, 10)
            rate = _rate(spec["terms"], decided or submitted, rng, versions)
            app = _application_row(rng, spec, firm, amount, 12, submitted, decided, rate, staff, status)
            trail = [("received", submitted, "")]
            if status == "declined":
                app.decision_reason = DECLINE_REASONS[int(rng.integers(0, len(DECLINE_REASONS)))]
                trail.append(("declined", decided, app.decision_reason))
            if status in ("due_diligence",):
                trail.append(("due_diligence", min(add_workdays(submitted, 1).date, today), ""))
            if status in ("approved", "contract"):
                trail.append(("approved", decided, f"批准 {amount} 万元，年利率 {rate}%"))
            if status == "contract":
                trail.append(("contract", min(add_workdays(decided, 2).date, today), ""))
            if status == "withdrawn":
                app.decision_reason = "企业已获其他融资，撤回申请"
                trail.append(("withdrawn", min(add_workdays(submitted, 2).date, today), app.decision_reason))
            apps.append(app)
            events.append(trail)
            consents.append(_consent_row(rng, spec, firm, submitted, today))
    # National Day: 5 working days from 2026-09-30 run to 2026-10-13 (10-10, a Saturday, is a working day).
    holiday = dt.date(today.year if today >= dt.date(today.year, 10, 20) else today.year - 1, 9, 30)
    spec = next(p for p in products if p["product"].code == "jinshang_points_loan")
    for k, used in enumerate((5, 6)):
        pool = candidates[spec["product"].code]
        firm = pool.row(k, named=True)
        decided = add_workdays(holiday, used).date
        app = _application_row(
            rng,
            spec,
            firm,
            300,
            12,
            holiday,
            decided,
            _rate(spec["terms"], decided, rng, versions),
            staff,
            "declined" if used == 6 else "approved",
        )
        app.decision_reason = "资料不全，补充后可重新申请" if used == 6 else ""
        apps.append(app)
        events.append([("received", holiday, "国庆节前受理"), (app.status, decided, app.decision_reason)])
        consents.append(_consent_row(rng, spec, firm, holiday, today))
    return {}


def _save(apps, events, consents, platform_loans, staff) -> None:
    consent_objs = Consent.objects.bulk_create(consents, batch_size=500)
    for app, consent in zip(apps, consent_objs, strict=True):
        app.consent = consent
        app.created_by = None
    saved = Application.objects.bulk_create(apps, batch_size=500)
    by_bank = {name: user for name, (user, _b) in staff.items()}
    now = timezone.now()
    rows = []
    for app, trail in zip(saved, events, strict=True):
        previous = ""
        for status, on, note in trail:
            by = None if status in ("received", "withdrawn") else by_bank[app.bank.name].pk
            rows.append((app.pk, previous, status, on, by, note, now))
            previous = status
    bulk.insert_rows(
        ApplicationEvent, ["application_id", "from_status", "to_status", "on", "by_id", "note", "created_at"], rows
    )
    funded = [a for a in saved if a.status in ("disbursed", "repaid", "overdue", "defaulted")]
    for app, loan in zip(funded, platform_loans, strict=True):
        loan.application = app
    Loan.objects.bulk_create(platform_loans, batch_size=500)
    accesses = [
        (consent.pk, consent.enterprise_id, by_bank[consent.bank.name].pk, scope, "page", now)
        for consent in consent_objs
        for scope in consent.scopes[:2]
    ]
    bulk.insert_rows(ConsentAccess, ["consent_id", "enterprise_id", "user_id", "scope", "channel", "at"], accesses)


# ---------------------------------------------------------------------------------------------- the firm's own


def _firm_story(region, products, banks, staff, today: dt.date, versions: tuple) -> dict:
    """The enterprise_user's firm: a repaid loan, a loan in force, an application in due diligence, a declined
    one whose consent it withdrew, and a standalone consent to another bank — 我的融资 in several states."""
    uscc = next(u["enterprise_uscc"] for u in region.users if u["role"] == "enterprise_user")
    firm = Enterprise.objects.get(uscc=uscc)
    snap = loaders.snapshot(Enterprise.objects.filter(pk=firm.pk), today).get(uscc, {})
    by_code = {p["product"].code: p for p in products}
    user = User.objects.filter(username="enterprise_user").first()
    frame = loaders.firm_frame(Enterprise.objects.filter(pk=firm.pk), today)
    found = {
        r["product"]: r
        for r in evaluate(frame, [p["terms"] for p in products], loaders.lpr(today)).iter_rows(named=True)
    }
    rng = np.random.default_rng(region.seed + 180)
    made = 0
    stories = (
        ("tyrcb_points_quick", add_months(today, -16), "repaid"),
        ("jinshang_points_loan", add_months(today, -3), "disbursed"),
        ("jinshang_ip_pledge", today - dt.timedelta(days=6), "due_diligence"),
        ("ccb_hte_loan", add_months(today, -2), "declined"),
    )
    for code, when, status in stories:
        spec = by_code[code]
        row = {
            "eid": firm.pk,
            "points": snap.get("points"),
            "stage_f": snap.get("stage"),
            "tier": snap.get("tier"),
            **{k: found[code][k] for k in ("limit", "explanation", "rate_ceiling")},
        }
        submitted = _workday_on_or_after(when)
        decided = add_workdays(submitted, 2).date if status != "due_diligence" else None
        rate = _rate(spec["terms"], decided or submitted, rng, versions)
        app = _application_row(rng, spec, row, 200, 12, submitted, decided, rate, staff, status)
        app.finder["status"] = found[code]["status"]
        app.created_by = user
        consent = Consent.objects.create(
            enterprise=firm,
            bank=spec["bank"],
            scopes=list(SCOPES),
            starts_on=submitted,
            ends_on=add_months(submitted, 6),
            purpose=f"融资申请：{spec['product'].name}",
            granted_by=user,
        )
        app.consent = consent
        trail = [("received", submitted, "")]
        if status == "declined":
            app.decision_reason = "申请金额超出还款能力"
            trail.append(("declined", decided, app.decision_reason))
            consent.withdrawn_at, consent.withdrawn_by = timezone.now() - dt.timedelta(days=20), user
            consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        elif status == "due_diligence":
            trail.append(("due_diligence", min(add_workdays(submitted, 1).date, today), ""))
        else:
            disbursed = add_workdays(decided, 2).date
            trail += [
                ("approved", decided, ""),
                ("contract", add_workdays(decided, 1).date, ""),
                ("disbursed", disbursed, ""),
            ]
        app.save()
        for prev, (s, on, note) in zip([""] + [t[0] for t in trail], trail, strict=False):
            ApplicationEvent.objects.create(
                application=app,
                from_status=prev,
                to_status=s,
                on=on,
                note=note,
                by=user if s in ("received", "withdrawn") else staff[spec["bank"].name][0],
            )
        if status in ("repaid", "disbursed"):
            Loan.objects.create(
                bank=spec["bank"],
                enterprise=firm,
                product=spec["product"],
                application=app,
                contract_no=f"DEMO{submitted:%Y%m%d}",
                amount=Decimal(200),
                rate=rate,
                disbursed_on=add_workdays(decided, 2).date,
                maturity_on=add_months(add_workdays(decided, 2).date, 12),
                status=status,
                closed_on=add_months(add_workdays(decided, 2).date, 12) if status == "repaid" else None,
                points=row["points"],
                stage=row["stage_f"] or "",
                tier=row["tier"] or "",
            )
        ConsentAccess.objects.create(
            consent=consent, enterprise=firm, user=staff[spec["bank"].name][0], scope="points", channel="page"
        )
        made += 1
    Consent.objects.create(
        enterprise=firm,
        bank=banks["交通银行山西省分行"],
        scopes=["points"],
        starts_on=today,
        ends_on=add_months(today, 3),
        purpose="银企对接会后了解积分情况",
        granted_by=user,
    )
    return {"firm_applications": made}


# ---------------------------------------------------------------------------------------------- pool


def _pool(today: dt.date) -> int:
    opened = add_months(today, -MONTHS - 1).replace(day=1)
    pool = RiskPool.objects.create(
        name="科技贷款风险补偿资金池",
        rule_id="risk_pool_taiyuan",
        manager="太原市科学技术局、太原市财政局",
        opened_on=opened,
        note="本局科技金融产品贷款违约后，按规则补偿贷款银行；由财政分期注资。",
    )
    for months, amount, source in ((0, 2000, "市财政局"), (6, 1000, "小店区财政局"), (12, 2000, "市财政局")):
        PoolEntry.objects.create(
            pool=pool,
            kind=PoolEntry.Kind.CONTRIBUTION,
            on=add_months(opened, months),
            amount=Decimal(amount),
            source=source,
        )
    defaults = list(
        Loan.objects.filter(status=Loan.Status.DEFAULTED)
        .select_related("product", "bank")
        .order_by("defaulted_on", "pk")
    )
    shared = {
        p.pk
        for p in LoanProduct.objects.all()
        if loaders.product_terms(p, p.launched_on).value("risk_share") is not None
    }
    claims = 0
    for loan in defaults:
        if loan.product_id not in shared:
            continue
        position = loaders.pool_position(pool, loan.defaulted_on)
        rule = position["rule"]
        claim = pool_engine.allocate(
            [{"id": loan.pk, "principal": loan.defaulted_principal, "defaulted_on": loan.defaulted_on}],
            rule["share"],
            rule["per_loan_cap"],
            position["available"],
        )[0]
        PoolEntry.objects.create(
            pool=pool,
            kind=PoolEntry.Kind.CLAIM,
            on=loan.defaulted_on,
            amount=claim["covered"],
            loan=loan,
            source=loan.bank.name,
            explanation=claim["explanation"][:500],
            rule_key="risk_pool_taiyuan@2024-01-01",
        )
        claims += 1
    first = PoolEntry.objects.filter(pool=pool, kind=PoolEntry.Kind.CLAIM).order_by("on").first()
    if first is not None:
        back = (first.amount * Decimal("0.25")).quantize(FOUR)
        PoolEntry.objects.create(
            pool=pool,
            kind=PoolEntry.Kind.RECOVERY,
            on=min(first.on + dt.timedelta(days=120), today),
            amount=back,
            loan=first.loan,
            source=first.source,
        )
    return claims


# ---------------------------------------------------------------------------------------------- funds


def _funds(rng, today: dt.date) -> int:
    firms = list(Enterprise.objects.order_by("uscc").values_list("pk", "name")[:400])
    picks = [firms[int(i)] for i in rng.choice(len(firms), size=20, replace=False)]
    # The seed fund (2024 vintage): closed deals, an exit and two write-offs for fault tolerance.
    seed = Fund.objects.create(
        name="晋创谷种子基金",
        size=Decimal(20000),
        manager="国投晋创谷(太原)发展运营有限公司",
        launched_on=add_months(today, -30),
        rule_id="angel_fund_taiyuan",
        note="公共资金股权投资，按晋创谷“1+5”政策实行容错。",
    )
    FundSource.objects.bulk_create(
        [
            FundSource(fund=seed, name="太原市财政局", amount=Decimal(12000)),
            FundSource(fund=seed, name="国投晋创谷(太原)发展运营有限公司", amount=Decimal(8000)),
        ]
    )
    full = ["尽职调查报告", "投资决策委员会决议", "投资协议", "投后管理记录", "风险处置报告"]
    seed_deals = (
        ("新型碳材料中试项目", 800, "post_investment", full[:4]),
        ("工业视觉检测系统", 600, "post_investment", full[:4]),
        ("医用高分子敷料", 500, "exited", full[:4]),
        ("氢燃料电池双极板", 900, "written_off", full),
        ("农业遥感服务平台", 400, "written_off", full[:4]),
        ("智能矿山巡检机器人", 1000, "post_investment", full[:4]),
    )
    deals = 0
    for i, (project, amount, stage, docs) in enumerate(seed_deals):
        sourced = add_months(today, -28 + i * 2)
        deals += _deal(seed, picks[i], project, amount, stage, sourced, docs, rng, today)
    # The angel fund launched this autumn: 5 approved, 3 closed (2800万) in under 3 months, and a pipeline.
    angel = Fund.objects.create(
        name="晋创谷天使投资基金",
        size=Decimal(100000),
        manager="国投晋创谷(太原)发展运营有限公司",
        launched_on=today - dt.timedelta(days=95),
        rule_id="angel_fund_taiyuan",
        note="10 亿元天使基金，投早投小投科技。",
    )
    FundSource.objects.bulk_create(
        [
            FundSource(fund=angel, name="山西省财政厅", amount=Decimal(30000)),
            FundSource(fund=angel, name="太原市财政局", amount=Decimal(30000)),
            FundSource(fund=angel, name="小店区财政局", amount=Decimal(20000)),
            FundSource(fund=angel, name="社会资本", amount=Decimal(20000)),
        ]
    )
    pipeline = (
        ("第三代半导体衬底", 1000, "closed"),
        ("钙钛矿叠层电池", 1000, "closed"),
        ("工业软件仿真平台", 800, "closed"),
        ("mRNA 递送载体", 600, "approved"),
        ("高温合金增材制造", 700, "approved"),
        ("煤基碳纤维", 500, "rejected"),
        ("车规级功率模块", 900, "committee"),
        ("矿用氢能重卡", 800, "due_diligence"),
        ("柔性传感器", 300, "due_diligence"),
        ("细胞治疗质控", 500, "sourced"),
        ("低空遥感无人机", 400, "sourced"),
    )
    start = today - dt.timedelta(days=88)
    for i, (project, amount, stage) in enumerate(pipeline):
        sourced = start + dt.timedelta(days=3 * i)
        docs = ["尽职调查报告", "投资决策委员会决议", "投资协议"][
            : {"closed": 3, "approved": 2, "rejected": 2, "committee": 1, "due_diligence": 0}.get(stage, 0)
        ]
        deals += _deal(angel, picks[6 + i], project, amount, stage, sourced, docs, rng, today, fast=True)
    return deals


def _deal(fund, firm, project, amount, stage, sourced, docs, rng, today, fast=False) -> int:
    from kechuang.finance import services

    step = (lambda: int(rng.integers(6, 12))) if fast else (lambda: int(rng.integers(20, 45)))
    deal = Deal.objects.create(
        fund=fund, project=project, enterprise_id=firm[0], amount=Decimal(amount), sourced_on=sourced, stage="sourced"
    )
    trail = [("sourced", sourced, "项目入库")]
    on = sourced
    order = ("due_diligence", "committee", "approved", "closed", "post_investment")
    target = {"rejected": "committee", "exited": "post_investment", "written_off": "post_investment"}.get(stage, stage)
    dates = {
        "due_diligence": "dd_started_on",
        "committee": "committee_on",
        "approved": "approved_on",
        "closed": "closed_on",
    }
    for s in order[: order.index(target) + 1] if target in order else ():
        on = min(on + dt.timedelta(days=step()), today)
        trail.append((s, on, ""))
        if s in dates:
            setattr(deal, dates[s], on)
    if stage in ("approved", "closed", "post_investment", "exited", "written_off", "rejected"):
        members = ["王建国", "李晓梅", "张志强", "刘芳", "陈伟", "赵敏", "孙立"]
        yes = 5 if stage != "rejected" else 2
        CommitteeVote.objects.bulk_create(
            [CommitteeVote(deal=deal, member=m, vote="yes" if k < yes else "no") for k, m in enumerate(members[:6])]
        )
    if stage == "rejected":
        on = min(deal.committee_on + dt.timedelta(days=1), today)
        trail.append(("rejected", on, "出席 6 人，同意 2 票（33%），未达到过会所需比例 67%，未过会"))
    if stage in ("exited", "written_off"):
        on = min(on + dt.timedelta(days=int(rng.integers(200, 400))), today)
        deal.ended_on = on
        if stage == "exited":
            deal.exit_amount = Decimal(amount) * Decimal("1.6")
        trail.append((stage, on, "退出回收" if stage == "exited" else "项目失败，核销"))
    deal.stage = stage
    deal.save()
    for kind in docs:
        DealDocument.objects.create(
            deal=deal,
            kind=kind,
            title=f"{project}{kind}",
            dated_on=min(deal.closed_on or deal.committee_on or deal.dd_started_on or sourced, today),
        )
    previous = ""
    for s, when, note in trail:
        DealEvent.objects.create(deal=deal, from_stage=previous, to_stage=s, on=when, note=note)
        previous = s
    if stage == "written_off":
        services._decide_exemption(deal, deal.ended_on)
    return 1


# ---------------------------------------------------------------------------------------------- events


def _events(rng, banks, today: dt.date) -> int:
    names = list(banks.values())
    places = (
        "晋创谷·太原 路演中心",
        "太原高新区 科创大厦",
        "小店区 政务服务中心",
        "晋源区 晋阳湖众创空间",
        "万柏林区 科技企业孵化器",
        "山西大学 科技园",
        "太原理工大学 大学科技园",
    )
    for i in range(7):
        held = _workday_on_or_after(add_months(today, -12 + i * 2 - 1))
        event = MatchEvent.objects.create(
            title=f"科技金融银企对接会（第{'一二三四五六七'[i]}期）",
            held_on=held,
            place=places[i],
            organiser="太原市科学技术局",
            firms=int(rng.integers(30, 90)),
            intentions=int(rng.integers(8, 30)),
            signed_amount=Decimal(int(rng.integers(6, 40)) * 100),
            note="",
        )
        event.banks.set([names[k] for k in rng.choice(len(names), size=int(rng.integers(3, 6)), replace=False)])
    return 7


# ---------------------------------------------------------------------------------------------- payouts


def _last_year_payouts(today: dt.date) -> int:
    """Last year's finance policies decided on the loan records and paid through a maker–checker batch."""
    from kechuang.policies.models import BankAccount, Entitlement, Policy
    from kechuang.policies.services import (
        approve_batch,
        assemble_batch,
        load_shipped_policies,
        mark_paid,
        run_eligibility,
    )

    load_shipped_policies()
    maker = User.objects.get(username="bureau_staff")
    checker = User.objects.get(username="bureau_admin")
    payer = User.objects.get(username="bureau_cashier")  # maker, checker and payer are three people
    year_end = dt.date(today.year - 1, 12, 31)
    paid = 0
    for code in FINANCE_POLICIES:
        if not Policy.objects.filter(code=code).exists():
            continue
        run = run_eligibility(code, year_end)
        pending = Entitlement.objects.filter(run=run, status=Entitlement.Status.PENDING)
        for eid, name in pending.values_list("enterprise_id", "enterprise__name"):
            BankAccount.objects.get_or_create(
                enterprise_id=eid,
                defaults={"account_name": name, "bank_name": "晋商银行科技支行", "account_number": f"6216{eid:012d}"},
            )
        pending.update(status=Entitlement.Status.CONFIRMED, confirmed_by=maker, confirmed_at=timezone.now())
        if not Entitlement.objects.filter(run=run, status=Entitlement.Status.CONFIRMED).exists():
            continue
        policy = Policy.objects.get(code=code)
        batch = assemble_batch(user=maker, policy=policy, year=year_end.year)
        batch = approve_batch(user=checker, batch_id=batch.pk)
        if batch.status == batch.Status.APPROVED:
            mark_paid(user=payer, batch_id=batch.pk)
            paid += batch.count
    return paid


def summary() -> dict:
    """Headline counts of what the demo holds (for the build's printout and tests)."""
    total = Loan.objects.aggregate(s=Sum("amount"))["s"] or 0
    return {
        "banks": Organisation.objects.filter(kind="bank").count(),
        "products": LoanProduct.objects.count(),
        "loans": Loan.objects.count(),
        "amount": total,
    }
