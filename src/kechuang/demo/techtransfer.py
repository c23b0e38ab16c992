"""The demo region's technology contracts: two years of contracts recorded for registration (认定登记), in every
state — registered with numbers and approved technology amounts, refused with their reasons, and still open (a
few past their deadline) — decided by the engine under the rules in force on each receipt date.

Calibration (field-notes.md): 晋中 registered 736 technology contracts worth 42亿 in 2024, and 24 contracts
worth 4847.4万 in its first quarter: contracts come late in the year. At the full demo size (8000 firms) each of
the two years gets 736 contracts whose totals add up to 42亿, spread over the quarters in 晋中's proportions (Q1
about 3%); a smaller demo is scaled down in proportion. Sellers are the region's universities and institutes
(most) and its firms; buyers are the registry's firms, firms elsewhere in China and a few abroad.

Everything is drawn from the seed and dated relative to the build date. Rows are bulk-created; one audit event
records the build.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

import numpy as np
from django.db import transaction
from django.utils import timezone

from kechuang.accounts.models import Organisation, User
from kechuang.core import audit
from kechuang.engine.techtransfer import contracts as engine
from kechuang.engine.workdays import add_workdays
from kechuang.enterprises.models import Enterprise
from kechuang.techtransfer.models import TechContract

from .identity import unique_bodies, uscc_codes

FULL_SCALE_FIRMS = 8000  # the demo's default size, at which the seeds' yearly figures apply as they are
CONTRACTS_PER_YEAR = 736  # 晋中 2024
TOTAL_PER_YEAR = Decimal(420000)  # 42亿, in 万元
QUARTER_SHARES = (0.033, 0.17, 0.25, 0.547)  # Q1 24 of 736 contracts; the rest back-loaded, as reported
AMOUNT_SIGMA = 1.3  # spread of contract sizes (log-normal): many small service contracts, a few large ones
TYPE_SHARES = {"development": 0.45, "service": 0.28, "consulting": 0.1, "transfer": 0.11, "licence": 0.06}
NON_TECH_SHARE = (0.4, 0.05, 0.4)  # share of contracts with non-technical costs; their part of the total (lo, hi)
SELLER_INSTITUTION_SHARE = 0.6
BUYER_SHARES = (0.75, 0.2, 0.05)  # registry firms, firms elsewhere in China, abroad
# What makes the engine refuse a contract, and how often the demo's contracts have it.
FLAWS = {"not_written": 0.02, "party_unclear": 0.015, "amounts_inconsistent": 0.01, "price_unclear": 0.005}
CLERK_REFUSAL_SHARE = 0.005
CLERK_REFUSAL = "合同含有限制技术竞争和技术发展的条款"
OPEN_DAYS = 25  # contracts received this recently are mostly still open
OPEN_SHARE = 0.8
OVERDUE_SHARE = 0.04  # of the contracts received 30–60 days ago: still open past their deadline
LATE_SHARE = 0.03  # decided after the deadline
OTHER_REGIONS = (
    ("110108", "北京"),
    ("310115", "上海"),
    ("440305", "深圳"),
    ("330106", "杭州"),
    ("610113", "西安"),
    ("120116", "天津"),
    ("370102", "济南"),
    ("320111", "南京"),
)
FOREIGN = (
    ("DE", "德国某精密机械公司"),
    ("US", "美国某材料科技公司"),
    ("JP", "日本某电子株式会社"),
    ("KR", "韩国某能源公司"),
    ("SG", "新加坡某工程公司"),
)
SUBJECTS = (
    "锂电池隔膜",
    "煤基碳材料",
    "高性能镁合金",
    "智能矿山巡检机器人",
    "光伏组件清洗",
    "特种钢热处理",
    "中药材有效成分提取",
    "农产品冷链保鲜",
    "工业互联网平台",
    "氢能储运",
    "半导体封装材料",
    "医学影像辅助诊断",
    "有机旱作农业",
    "煤矸石综合利用",
    "节能环保锅炉",
    "高速列车轴承",
    "碳化硅衬底",
    "生物发酵饲料",
    "智能电网巡检",
    "废水零排放处理",
    "小杂粮深加工",
    "铝基复合材料",
    "数控机床精度补偿",
    "煤层气开采",
    "新型干法水泥",
    "动物疫苗",
    "功能陶瓷",
    "智慧农业物联网",
    "精密铸造",
    "氢燃料电池电堆",
)
ACTIONS = {
    "development": ("关键技术研发", "工艺开发", "中试技术合作开发", "样机研制"),
    "transfer": ("发明专利权转让", "专利申请权转让", "技术秘密转让"),
    "licence": ("专利实施许可", "技术秘密使用许可"),
    "consulting": ("技术可行性论证", "技术咨询", "技术路线评估"),
    "service": ("检测分析服务", "技术服务", "工艺优化服务", "技术培训"),
}


def build(region, progress=print, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    rng = np.random.default_rng(region.seed + 16)
    scale = min(1.0, region.facts["uscc"].n_unique() / FULL_SCALE_FIRMS)
    progress("生成近两年的技术合同与认定登记……")
    with transaction.atomic():
        sellers, buyers = _parties(rng, region)
        staff = User.objects.filter(role="bureau_staff").order_by("pk").first()
        bureau = Organisation.objects.filter(kind=Organisation.Kind.BUREAU).order_by("pk").first()
        office = bureau.region_id if bureau and bureau.region_id else "140100"
        rows = []
        for years_back in (2, 1):
            end = today - dt.timedelta(days=365 * (years_back - 1))
            start = end - dt.timedelta(days=364)
            n = max(1, round(CONTRACTS_PER_YEAR * scale))
            rows += _contracts(rng, start, end, n, TOTAL_PER_YEAR * Decimal(str(scale)), sellers, buyers, len(rows))
        made = _decide(rng, rows, today, staff, office)
        TechContract.objects.bulk_create(made)
        registered = [c for c in made if c.status == TechContract.Status.REGISTERED]
        audit.record(
            actor=None,
            action="demo.build",
            obj=bureau,
            note=f"生成技术合同演示数据：{len(made)} 份，已登记 {len(registered)} 份",
        )
    return {"tech_contracts": len(made)}


def _parties(rng, region) -> tuple[list[dict], list[dict]]:
    """Sellers (in-province institutions with their own codes, and firms) and buyers (the registry's firms)."""
    institutions = list(
        Organisation.objects.filter(
            kind__in=(Organisation.Kind.INSTITUTION, Organisation.Kind.RD_INSTITUTION),
            in_province=True,
            region__isnull=False,
        ).order_by("name")
    )
    codes = uscc_codes(
        np.array([o.region_id for o in institutions]), unique_bodies(rng, len(institutions)), prefix="12"
    )
    insts = [
        {"name": o.name, "uscc": str(code), "region": o.region_id, "institution": o}
        for o, code in zip(institutions, codes, strict=True)
    ]
    firms = [
        {"name": name, "uscc": uscc, "region": region_id or "", "institution": None}
        for name, uscc, region_id in Enterprise.objects.order_by("pk").values_list("name", "uscc", "region_id")
    ]
    return insts + firms[: max(1, len(firms) // 4)], firms


def _dates(rng, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    quarter_days = {}
    for d in days:
        quarter_days[(d.month - 1) // 3] = quarter_days.get((d.month - 1) // 3, 0) + 1
    weights = np.array([QUARTER_SHARES[(d.month - 1) // 3] / quarter_days[(d.month - 1) // 3] for d in days])
    picked = rng.choice(len(days), size=n, p=weights / weights.sum())
    return sorted(days[i] for i in picked)


def _contracts(rng, start, end, n, total, sellers, buyers, offset) -> list[dict]:
    dates = _dates(rng, start, end, n)
    raw = rng.lognormal(0, AMOUNT_SIGMA, n)
    amounts = [Decimal(str(round(float(a), 2))) for a in raw / raw.sum() * float(total)]
    types = rng.choice(list(TYPE_SHARES), size=n, p=list(TYPE_SHARES.values()))
    institutions = [s for s in sellers if s["institution"] is not None]
    firms_selling = [s for s in sellers if s["institution"] is None]
    kinds = rng.choice(3, size=n, p=BUYER_SHARES)
    out = []
    for i in range(n):
        kind = str(types[i])
        pool = institutions if rng.random() < SELLER_INSTITUTION_SHARE or not firms_selling else firms_selling
        seller = pool[int(rng.integers(len(pool)))]
        buyer = _buyer(rng, int(kinds[i]), buyers, seller)
        total_amount = max(amounts[i], Decimal("0.5"))
        non_tech = Decimal(0)
        if rng.random() < NON_TECH_SHARE[0]:
            non_tech = (total_amount * Decimal(str(round(rng.uniform(*NON_TECH_SHARE[1:]), 2)))).quantize(
                Decimal("0.01")
            )
        signed = dates[i] - dt.timedelta(days=int(rng.integers(3, 60)))
        subject = SUBJECTS[int(rng.integers(len(SUBJECTS)))]
        action = ACTIONS[kind][int(rng.integers(len(ACTIONS[kind])))]
        out.append(
            {
                "contract_no": f"HT{dates[i]:%Y}{offset + i + 1:05d}",
                "project": f"{subject}{action}",
                "type": kind,
                "seller_name": seller["name"],
                "seller_uscc": seller["uscc"],
                "seller_region": seller["region"],
                "institution": seller["institution"],
                **buyer,
                "signed_on": signed,
                "valid_to": signed + dt.timedelta(days=365 * int(rng.integers(1, 4))),
                "total_amount": total_amount,
                "non_tech_amount": non_tech,
                "written": True,
                "received_on": dates[i],
            }
        )
    return out


def _buyer(rng, kind: int, firms: list[dict], seller: dict) -> dict:
    if kind == 2:
        country, name = FOREIGN[int(rng.integers(len(FOREIGN)))]
        return {"buyer_name": name, "buyer_uscc": "", "buyer_country": country, "buyer_region": ""}
    if kind == 1:
        region, place = OTHER_REGIONS[int(rng.integers(len(OTHER_REGIONS)))]
        code = str(uscc_codes(np.array([region]), unique_bodies(rng, 1))[0])
        return {"buyer_name": f"{place}某科技有限公司", "buyer_uscc": code, "buyer_country": "", "buyer_region": region}
    firm = firms[int(rng.integers(len(firms)))]
    while firm["uscc"] == seller["uscc"]:
        firm = firms[int(rng.integers(len(firms)))]
    return {"buyer_name": firm["name"], "buyer_uscc": firm["uscc"], "buyer_country": "", "buyer_region": firm["region"]}


def _flaw(rng, row: dict) -> None:
    """Give a few contracts what makes the registration refuse them."""
    draw, edge = rng.random(), 0.0
    for code, share in FLAWS.items():
        edge += share
        if draw < edge:
            if code == "not_written":
                row["written"] = False
            elif code == "party_unclear":
                row["seller_uscc"] = row["seller_uscc"][:-1] + ("0" if row["seller_uscc"][-1] != "0" else "1")
            elif code == "amounts_inconsistent":
                row["non_tech_amount"] = row["total_amount"] + Decimal("1")
            else:
                row["total_amount"], row["non_tech_amount"] = Decimal(0), Decimal(0)
            return


@lru_cache(maxsize=4096)
def _rules(day: dt.date) -> engine.Rules:
    return engine.rules_on(day)


def _decide(rng, rows: list[dict], today: dt.date, staff, office: str) -> list[TechContract]:
    made, serials = [], {}
    decided = []
    for row in rows:
        _flaw(rng, row)
        received = row.pop("received_on")
        institution = row.pop("institution")
        rules = _rules(received)
        c = engine.Contract(**row)
        d = engine.check(c, received, rules)
        age = (today - received).days
        open_now = (age <= OPEN_DAYS and rng.random() < OPEN_SHARE) or (
            2 * OPEN_DAYS < age <= 2 * OPEN_DAYS + 35 and rng.random() < OVERDUE_SHARE
        )
        within = int(rng.integers(1, d.deadline.days + 1))
        on = add_workdays(received, within).date if rules.working_days else received + dt.timedelta(days=within)
        if rng.random() < LATE_SHARE:
            on = d.deadline.date + dt.timedelta(days=int(rng.integers(1, 8)))
        if on > today:
            open_now = True
        obj = TechContract(
            **row,
            institution=institution,
            received_on=received,
            due_on=d.deadline.date,
            expert_review=d.deadline.expert_review,
            recorded_by=staff,
        )
        if not open_now:
            clerk = d.registered and rng.random() < CLERK_REFUSAL_SHARE
            obj.status = TechContract.Status.REFUSED if clerk or not d.registered else TechContract.Status.REGISTERED
            obj.reason_code = "clerk_refused" if clerk else d.reason_code
            obj.reason = f"未予登记：{CLERK_REFUSAL}" if clerk else d.reason
            obj.tech_amount = d.tech_amount if obj.status == TechContract.Status.REGISTERED else None
            obj.rule_key, obj.decided_by, obj.decided_on = d.rule, staff, on
            obj.decided_at = timezone.make_aware(dt.datetime.combine(on, dt.time(10)))
            if obj.status == TechContract.Status.REGISTERED:
                decided.append(obj)
        made.append(obj)
    for obj in sorted(decided, key=lambda o: (o.decided_on, o.contract_no)):
        p = _rules(obj.received_on).params
        serials[obj.decided_on.year] = serials.get(obj.decided_on.year, 0) + 1
        obj.registration_no = engine.registration_number(
            p["number_format"], obj.decided_on.year, office, p["registration_point"], serials[obj.decided_on.year]
        )
    return made
