"""Loading a generated demo region into the database (the Django side of `kechuang demo`).

Set-based: enterprises and figures go through the same `upsert_facts` service as an Excel import, the rest
through bulk_create. Demo rows carry no per-row audit events; one event records the build.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.db import transaction

from kechuang.accounts.models import ApiToken, LoginFailure, Organisation, User
from kechuang.carriers.models import Carrier, RankingRun, Residency, Team
from kechuang.core import audit
from kechuang.core.models import Job
from kechuang.core.reference import load_reference
from kechuang.engine import facts
from kechuang.enterprises import services
from kechuang.enterprises.models import AnnualFigure, Enterprise, FigureSubmission, Qualification
from kechuang.points.services import score_year
from kechuang.policies.models import RULE_KIND as POLICY_RULES
from kechuang.policies.models import Policy
from kechuang.policies.services import load_shipped_policies, run_eligibility
from kechuang.rules.models import RuleVersion
from kechuang.tiers.models import TierRun
from kechuang.tiers.selectors import RULE_KIND as TIER_RULES
from kechuang.tiers.services import evaluate_all

from . import brokering as brokering_demo
from . import challenges as challenge_demo
from . import finance, industry, payouts, profile
from . import supply as supply_demo
from . import techtransfer as techtransfer_demo
from .generator import DemoRegion

# The 高企 certificate is valid for three years from its issue date (国科发火〔2016〕32号).
HTE_VALID_YEARS = 3
# Tier evaluations the demo starts with: the last three mid-years, so flows between years show.
TIER_AS_OF = (dt.date(2024, 6, 30), dt.date(2025, 6, 30), dt.date(2026, 6, 30))
POLICY_AS_OF = dt.date(2026, 6, 30)
POINTS_YEARS = (2023, 2024, 2025)
_DECIMAL_KINDS = {facts.MONEY: 4, facts.NUMBER: 2, facts.FRACTION: 6}


def frame_to_rows(frame: pl.DataFrame) -> list[dict]:
    """Facts frame → rows of parsed values, as an import produces them (exact Decimals, no nulls)."""
    places = {c.name: _DECIMAL_KINDS[c.kind] for c in facts.COLUMNS if c.kind in _DECIMAL_KINDS}
    rows = []
    for record in frame.iter_rows(named=True):
        row = {}
        for name, value in record.items():
            if value is None or name not in facts.BY_NAME:
                continue
            if name in places:
                value = Decimal(repr(round(value, places[name])))
            row[name] = value
        rows.append(row)
    return rows


def has_data() -> bool:
    return Enterprise.objects.exists()


@transaction.atomic
def clear() -> None:
    """Remove everything the demo built (for --rebuild); reference data is kept."""
    from django.apps import apps

    # Results and records that point at enterprises (some with PROTECT) go first, apps that build on the
    # registry before the registry itself.
    for label in ("challenges", "finance", "policies", "points", "onestop", "chains", "techtransfer"):
        for model in reversed(list(apps.get_app_config(label).get_models())):
            model.objects.all().delete()
    for model in (
        TierRun,
        FigureSubmission,
        Qualification,
        RankingRun,
        Residency,
        Team,
        AnnualFigure,
        Carrier,
        Job,
    ):
        model.objects.all().delete()
    RuleVersion.objects.filter(kind__in=(TIER_RULES, POLICY_RULES)).delete()  # the demo's versions of both
    audit.wipe_demo()  # refused unless this database was built by the demo
    ApiToken.objects.all().delete()
    LoginFailure.objects.all().delete()
    User.objects.all().delete()
    Enterprise.objects.all().delete()
    Organisation.objects.all().delete()


@transaction.atomic
def load(region: DemoRegion, progress=print) -> dict[str, int]:
    progress("载入行政区划与行业代码……")
    load_reference()
    orgs = _organisations(region)
    progress(f"写入 {region.facts['uscc'].n_unique()} 家企业、{region.facts.height} 条年度数据……")
    columns = [c for c in region.facts.columns if c in facts.BY_NAME]
    stats = services.upsert_facts(
        frame_to_rows(region.facts), columns=columns, audit_changes=False, schedule_consequences=False, note="演示数据"
    )
    ids = dict(Enterprise.objects.values_list("uscc", "pk"))
    progress("写入载体、团队、入驻与资质……")
    residencies = _carriers(region, orgs, ids)
    qualifications = _qualifications(region.facts, ids)
    users = _users(region, orgs, ids)
    progress("设置地区配置（太原市）……")
    profile.build()
    runs = 0
    for as_of in TIER_AS_OF:
        progress(f"按现行规则计算企业梯队（基准日 {as_of}）……")
        evaluate_all(as_of, frame=region.facts)
        runs += 1
    for year in POINTS_YEARS:  # oldest first: a year's alerts compare with the year before
        progress(f"计算 {year} 年度创新积分……")
        score_year(year)
    finance_stats = finance.build(region, progress)
    contracts = techtransfer_demo.build(region, progress)
    progress("载入政策库并按现行规则认定兑现资格（免申即享）……")
    load_shipped_policies()
    payouts.budgets(POLICY_AS_OF.year)
    entitlements = sum(run_eligibility(p.code, POLICY_AS_OF).created for p in Policy.objects.order_by("code"))
    progress("确认兑现资格、组建兑现批次（待审批、已兑现）并核查追回……")
    walked = payouts.walk(POLICY_AS_OF.year)
    challenges = challenge_demo.build(region.seed, region.users[0]["password"], progress)
    domains = industry.load(region, ids, progress=progress)
    supply = supply_demo.build(region, progress)  # after the chains, which achievements and needs name
    brokered = brokering_demo.build(region, progress)  # after the contracts and the supply map it links
    audit.record(
        actor=None,
        action="demo.build",
        obj=Organisation.objects.get(name=region.organisations[0]["name"]),
        note=f"生成演示区域：seed={region.seed}，企业 {len(ids)} 家",
    )
    return {
        **stats,
        "residencies": residencies,
        "qualifications": qualifications,
        "users": users,
        "tier_runs": runs,
        "entitlements": entitlements,
        "challenges": challenges["challenges"],
        "loans": finance_stats["loans"],
        **contracts,
        **supply,
        **brokered,
        **walked,
        **domains,
    }


def _organisations(region: DemoRegion) -> dict[str, Organisation]:
    kinds = {"bureau": Organisation.Kind.BUREAU, "operator": Organisation.Kind.OPERATOR, "bank": Organisation.Kind.BANK}
    objs = {}
    for org in region.organisations:
        objs[org["key"]] = Organisation(
            name=org["name"], kind=kinds.get(org["kind"], org["kind"]), region_id=org.get("region_code")
        )
    for inst in region.institutions:
        kind = (
            Organisation.Kind.RD_INSTITUTION
            if inst.get("kind") == "research_institute"
            else Organisation.Kind.INSTITUTION
        )
        objs[inst["key"]] = Organisation(
            name=inst["name"], kind=kind, in_province=inst.get("in_province"), region_id=inst.get("region_code")
        )
    Organisation.objects.bulk_create(objs.values())
    saved = {o.name: o for o in Organisation.objects.all()}
    return {key: saved[o.name] for key, o in objs.items()}


def _carriers(region: DemoRegion, orgs: dict, ids: dict) -> int:
    by_name = {o.name: o for o in orgs.values()}
    residencies = []
    for spec in region.carriers:
        area = spec.get("area_km2")
        carrier = Carrier.objects.create(
            name=spec["name"],
            kind=spec["kind"],
            region_id=spec.get("region_code"),
            operator=orgs.get(spec["operator"]) if spec.get("operator") else None,
            opened_on=_date(spec.get("opened_on")),
            area_m2=Decimal(str(area)) * 1_000_000 if area else None,
        )
        residencies += [
            Residency(carrier=carrier, enterprise_id=ids[r["uscc"]], start=r["moved_in"]) for r in spec["residents"]
        ]
        for t in spec["teams"]:
            team = Team.objects.create(name=t["name"], leader=t["leader"], institution=by_name.get(t["institution"]))
            residencies.append(Residency(carrier=carrier, team=team, start=t["moved_in"]))
    Residency.objects.bulk_create(residencies, batch_size=2000)
    return len(residencies)


def _qualifications(frame: pl.DataFrame, ids: dict) -> int:
    issued = (
        frame.filter(pl.col("hte_certified_on").is_not_null())
        .select("uscc", "hte_certified_on")
        .unique()
        .sort("uscc", "hte_certified_on")
    )
    objs = []
    for uscc, on in issued.iter_rows():
        objs.append(
            Qualification(
                enterprise_id=ids[uscc],
                kind=Qualification.Kind.HTE_CERTIFICATE,
                level=Qualification.Level.NATIONAL,
                title="高新技术企业证书",
                number=f"GR{on.year}14{ids[uscc] % 1000000:06d}",
                issued_on=on,
                expires_on=_add_years(on, HTE_VALID_YEARS),
            )
        )
    Qualification.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _users(region: DemoRegion, orgs: dict, ids: dict) -> int:
    by_name = {o.name: o for o in Organisation.objects.all()}
    for spec in region.users:
        user = User(
            username=spec["username"],
            display_name=spec["display_name"],
            role=spec["role"],
            organisation=orgs.get(spec["organisation"]) or by_name.get(spec.get("organisation_name") or ""),
            enterprise_id=ids.get(spec.get("enterprise_uscc") or ""),
            # The bureau admin also runs the Django admin site when it is on (KECHUANG_ADMIN=1).
            is_staff=spec["role"] == "bureau_admin",
            is_superuser=spec["role"] == "bureau_admin",
        )
        user.set_password(spec["password"])
        user.save()
    return len(region.users)


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
