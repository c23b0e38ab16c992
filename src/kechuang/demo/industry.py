"""Demo data of the chains, carriers and one-stop services domains (called by demo.load after the registry,
tiers, points and policies exist).

Policy:
- Deterministic from the region's seed; dates that must read as "recent" (applications, KPIs, service
  requests, visits) count back from the anchor date (the build day), so every workflow has items in every
  state when the demo is opened.
- The placement engine places firms on the chains' segments from their codes and product words, and the
  gap engine decides the gaps: nothing here assigns a placement or a gap by hand; 链主 and 链核 are the largest
  confirmed firms of their segments. KPIs of carriers whose residents the registry holds follow the registry
  (no disagreement), except one carrier's one month (the anomaly the checks flag).
- Set-based: bulk inserts; one audit event per step, as the rest of the demo build.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from kechuang.accounts.models import Organisation, Role, User
from kechuang.carriers import services as carrier_services
from kechuang.carriers.models import (
    Application,
    Carrier,
    Equipment,
    KpiReport,
    OffshoreProject,
    PilotService,
    Residency,
    StageChange,
    Team,
)
from kechuang.chains import services as chain_services
from kechuang.chains.models import Chain, Designation, Placement, ProductProfile, RecruitmentTarget, Segment
from kechuang.core import audit
from kechuang.core.bulk import update_rows
from kechuang.engine import clock
from kechuang.engine.carriers import residency as residency_engine
from kechuang.engine.onestop import routing, visits
from kechuang.enterprises.models import AnnualFigure, Enterprise, Qualification
from kechuang.onestop.models import Assignment, Office, ServiceRequest, Visit
from kechuang.rules import selectors as rules

from .identity import person_names

DATA = Path(__file__).resolve().parent / "data"
STAGE_SHARES = {"nursery": 0.2, "incubation": 0.45, "acceleration": 0.25, "landing": 0.10}
STAGE_AREA = {"nursery": (20, 80), "incubation": (60, 300), "acceleration": (200, 900), "landing": (800, 3000)}


@lru_cache(maxsize=1)
def _config() -> dict:
    return {
        name: yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
        for name in ("chains", "carriers", "region", "names")
    }


def _month(day: dt.date, back: int) -> dt.date:
    """The first day of the month `back` months before `day`'s month."""
    y, m = divmod(day.year * 12 + day.month - 1 - back, 12)
    return dt.date(y, m + 1, 1)


def load(region, ids: dict[str, int], progress=print, anchor: dt.date | None = None) -> dict[str, int]:
    anchor = anchor or clock.today()
    rng = np.random.default_rng(region.seed + 19)
    cfg = _config()
    admin = User.objects.get(role=Role.BUREAU_ADMIN)
    password = User.objects.get(username="bureau_staff").password  # same demo password, no second hash
    progress("载入载体、入驻、中试基地与离岸创新中心……")
    carriers = _carriers(cfg["carriers"], password)
    counts = {"residencies_detailed": _residents(rng, carriers, cfg["carriers"], anchor)}
    counts["applications"] = _applications(rng, carriers, anchor)
    counts["pilot_services"] = _pilot(rng, carriers["jcg_pilot_base"], cfg["carriers"], anchor)
    counts["offshore_projects"] = _offshore(rng, cfg["carriers"], anchor)
    progress("构建 6 条重点产业链：环节、企业归集、链主链核、缺链与招商线索……")
    counts.update(_chains(rng, cfg["chains"], admin, password, anchor))
    progress("生成载体 12 个月的月度指标并按方案排名……")
    counts["kpis"] = _kpis(rng, carriers, cfg["carriers"], admin, anchor)
    progress("生成一站式服务单与包联走访……")
    counts["service_requests"] = _services(rng, carriers, cfg["carriers"], anchor)
    counts["assignments"], counts["visits"] = _officials(rng, cfg["carriers"], password, anchor)
    audit.record(
        actor=None,
        action="demo.build",
        obj=admin,
        note=f"产业链 {counts['chains']} 条、载体月度指标 {counts['kpis']} 条、服务单 {counts['service_requests']} 张",
    )
    return counts


# ---------------------------------------------------------------- carriers, residents, applications


def _carriers(cfg: dict, password: str) -> dict[str, Carrier]:
    orgs = {"operator": Organisation.objects.get(kind=Organisation.Kind.OPERATOR, carriers__kind="valley")}
    for o in cfg["operators"]:
        orgs[o["key"]] = Organisation.objects.create(name=o["name"], kind=o["kind"], region_id=o.get("region_code"))
    by_name = {c.name: c for c in Carrier.objects.all()}
    region_cfg = _config()["region"]
    keys = {
        region_cfg["valley"]["name"]: region_cfg["valley"]["key"],
        **{c["name"]: c["key"] for c in region_cfg["carriers"]},
    }
    carriers = {keys[name]: c for name, c in by_name.items() if name in keys}
    for key, fields in cfg["updates"].items():
        carrier = carriers[key]
        for f, v in fields.items():
            setattr(
                carrier, f, orgs[v] if f == "operator" else (Decimal(str(v)) if f in ("area_m2", "seed_fund") else v)
            )
        carrier.save()
    for spec in cfg["carriers"]:
        carriers[spec["key"]] = Carrier.objects.create(
            name=spec["name"],
            kind=spec["kind"],
            level=spec.get("level", ""),
            operator=orgs.get(spec.get("operator")),
            parent=carriers.get(spec.get("parent")),
            region_id=spec.get("region_code"),
            city=spec.get("city", ""),
            partner=spec.get("partner", ""),
            area_m2=Decimal(str(spec["area_m2"])) if spec.get("area_m2") else None,
            opened_on=spec.get("opened_on"),
            mentors=spec.get("mentors"),
            seed_fund=Decimal(str(spec["seed_fund"])) if spec.get("seed_fund") else None,
            description=spec.get("description", ""),
        )
    User.objects.create(
        username="zcc_operator",
        display_name="智创城运营专员",
        role=Role.PARK_OPERATOR,
        organisation=orgs["zcc_operator"],
        password=password,
    )
    return carriers


def _free_firms(rng, n: int, prefer_region: str | None = None) -> list[int]:
    """Firms resident nowhere, young and innovative ones first (registered since 2018), `prefer_region` first."""
    taken = set(Residency.objects.filter(enterprise__isnull=False).values_list("enterprise_id", flat=True))
    pool = list(
        Enterprise.objects.filter(registered_on__gte=dt.date(2018, 1, 1), hightech_field__isnull=False)
        .exclude(pk__in=taken)
        .order_by("pk")
        .values_list("pk", "region_id")
    )
    first = [p for p, r in pool if prefer_region and (r or "").startswith(prefer_region)]
    rest = [p for p, r in pool if p not in set(first)]
    order = list(rng.permutation(first)) + list(rng.permutation(rest))
    return [int(x) for x in order[:n]]


def _residents(rng, carriers: dict, cfg: dict, anchor: dt.date) -> int:
    """Stage, space and origin of every residency; residents (current and graduated) of the new carriers."""
    specs = {c["key"]: c for c in cfg["carriers"]}
    new = []
    for key in ("zcc_incubator", "jcg_accelerator"):
        spec = specs[key]
        carrier = carriers[key]
        firms = _free_firms(rng, spec.get("residents", 0) + spec.get("graduated", 0), prefer_region="1408")
        for i, firm in enumerate(firms):
            start = carrier.opened_on + dt.timedelta(
                days=int(rng.integers(0, max((anchor - carrier.opened_on).days - 30, 1)))
            )
            graduated = i >= spec.get("residents", 0)
            end = None
            if graduated:
                start = min(start, anchor - dt.timedelta(days=400))
                start = max(start, carrier.opened_on)
                end = min(start + dt.timedelta(days=int(rng.integers(365, 900))), anchor - dt.timedelta(days=10))
            new.append(
                Residency(
                    carrier=carrier,
                    enterprise_id=firm,
                    start=start,
                    end=end,
                    exit_kind="graduated" if graduated else "",
                )
            )
    Residency.objects.bulk_create(new, batch_size=1000)
    # A few residents of the provincial incubator graduated.
    fenshui = list(
        carriers["fenshui_incubator"].residencies.filter(start__lt=anchor - dt.timedelta(days=400)).order_by("pk")[:8]
    )
    for r in fenshui:
        r.end, r.exit_kind = min(r.start + dt.timedelta(days=400), anchor - dt.timedelta(days=5)), "graduated"
    Residency.objects.bulk_update(fenshui, ["end", "exit_kind"])

    stays = list(Residency.objects.select_related("enterprise", "team__institution").order_by("pk"))
    stages = list(STAGE_SHARES)
    picks = rng.choice(len(stages), len(stays), p=list(STAGE_SHARES.values()))
    changes = []
    for stay, pick in zip(stays, picks, strict=True):
        stage = stages[pick]
        lo, hi = STAGE_AREA[stage]
        stay.stage = stage
        stay.area_m2 = Decimal(int(rng.integers(lo, hi)))
        inst = stay.team.institution if stay.team_id else None
        origin = residency_engine.origin_of(
            stay.enterprise.origin if stay.enterprise_id else None,
            has_institution=inst is not None,
            institution_in_province=inst.in_province if inst else None,
        )
        stay.origin = origin or ""
        end = stay.end or anchor
        path = stages[: pick + 1][-int(rng.integers(1, pick + 2)) :]
        span = max((end - stay.start).days, len(path))
        for j, s in enumerate(path):
            changes.append(
                StageChange(residency=stay, stage=s, since=stay.start + dt.timedelta(days=span * j // len(path)))
            )
    # Space allocated to current residents stays within 80% of a carrier's area, where the area is known.
    areas = {c.pk: c.area_m2 for c in Carrier.objects.filter(area_m2__isnull=False)}
    for carrier_id, area in areas.items():
        current = [r for r in stays if r.carrier_id == carrier_id and r.end is None]
        used = sum(r.area_m2 for r in current)
        if used > area * Decimal("0.8"):
            factor = area * Decimal("0.8") / used
            for r in current:
                r.area_m2 = max(Decimal(10), (r.area_m2 * factor).quantize(Decimal(1)))
    update_rows(Residency, ["stage", "area_m2", "origin"], ((r.stage, r.area_m2, r.origin, r.pk) for r in stays))
    StageChange.objects.bulk_create(changes, batch_size=2000)
    return len(stays)


def _applications(rng, carriers: dict, anchor: dt.date) -> int:
    """Applications to the valley (and a few to other carriers) in every state; the moved-in ones, spread over
    the last twelve months, are residencies the registry counts in the valley's monthly signings."""
    valley = carriers["jcg_taiyuan"]
    institutions = list(
        Organisation.objects.filter(
            kind__in=[Organisation.Kind.INSTITUTION, Organisation.Kind.RD_INSTITUTION]
        ).order_by("name")
    )
    firms = _free_firms(rng, 60)
    topics = [
        "碳基材料",
        "智能传感",
        "氢能装备",
        "功率半导体",
        "工业软件",
        "生物催化",
        "储能材料",
        "工业视觉",
        "膜分离",
        "激光制造",
    ]
    leaders = person_names(rng, 40, _config()["names"])
    plan = [("moved_in", 36), ("applied", 6), ("approved", 3), ("rejected", 3), ("signed", 2), ("withdrawn", 2)]
    apps, firm_i, team_i = [], 0, 0
    stages = list(STAGE_SHARES)
    for status, n in plan:
        for k in range(n):
            team = k % 3 == 2 or firm_i >= len(firms)
            if status == "moved_in":  # three a month over the last twelve months, as the valley signs them
                moved = _month(anchor, 12 - k // 3) + dt.timedelta(days=3 + 9 * (k % 3))
                submitted = moved - dt.timedelta(days=30)
            else:
                submitted = anchor - dt.timedelta(days=int(rng.integers(1, 45)))
            stage = stages[int(rng.integers(0, 3))]
            app = Application(
                carrier=valley,
                stage=stage,
                status=status,
                plan="项目简介：研发与中试，计划两年内实现产业化。",
                area_requested=Decimal(int(rng.integers(40, 600))),
            )
            if team:
                inst = institutions[team_i % len(institutions)]
                app.team_name = f"{leaders[team_i % len(leaders)]}{topics[team_i % len(topics)]}团队"
                app.institution, app.leader = inst, leaders[team_i % len(leaders)]
                app.field = topics[team_i % len(topics)]
                team_i += 1
            else:
                app.enterprise_id = firms[firm_i]
                firm_i += 1
            app._submitted = submitted
            if status in ("approved", "rejected", "signed", "moved_in"):
                app.review_note = "材料齐全，符合入驻条件" if status != "rejected" else "技术方向与谷区产业定位不符"
            if status in ("signed", "moved_in"):
                app.signed_on = submitted + dt.timedelta(days=10)
                app.agreement_no = f"JCG-{app.signed_on:%Y%m}-{len(apps) + 1:03d}"
                app.area_allocated = app.area_requested
            if status == "moved_in":
                app._moved = moved
            apps.append(app)
    # The demo enterprise user's firm applies to the pilot base (awaiting review).
    own = User.objects.filter(role=Role.ENTERPRISE_USER).exclude(username="chain_leader").first()
    if own and own.enterprise_id:
        app = Application(
            carrier=carriers["jcg_pilot_base"],
            enterprise_id=own.enterprise_id,
            stage="acceleration",
            status="applied",
            area_requested=Decimal(300),
            plan="申请中试基地场地，开展小批量试制。",
        )
        app._submitted = anchor - dt.timedelta(days=3)
        apps.append(app)
    reviewer = User.objects.filter(role=Role.PARK_OPERATOR).order_by("pk").first()
    for app in apps:
        app.submitted_by = own if app.enterprise_id and own and app.enterprise_id == own.enterprise_id else reviewer
        if app.status in ("approved", "rejected", "signed", "moved_in"):
            app.reviewed_by = reviewer
    Application.objects.bulk_create(apps, batch_size=500)
    # Submission and review times are set after the insert (auto_now_add ignores assigned values on create).
    for app in apps:
        when = dt.datetime.combine(app._submitted, dt.time(10, 0), tzinfo=dt.UTC)
        app.submitted_at = when
        if app.reviewed_by_id:
            app.reviewed_at = when + dt.timedelta(days=5)
        if app.status == "moved_in":
            team = None
            if not app.enterprise_id:
                team = Team.objects.create(
                    name=app.team_name, institution=app.institution, leader=app.leader, field=app.field
                )
                app.team = team
            residency = Residency.objects.create(
                carrier=valley,
                enterprise_id=app.enterprise_id,
                team=team,
                start=app._moved,
                stage=app.stage,
                area_m2=app.area_allocated,
                origin=carrier_services.origin_for(app),
            )
            StageChange.objects.create(residency=residency, stage=app.stage, since=app._moved)
            app.residency = residency
    Application.objects.bulk_update(apps, ["submitted_at", "reviewed_at", "team", "residency"], batch_size=500)
    return len(apps)


def _pilot(rng, base: Carrier, cfg: dict, anchor: dt.date) -> int:
    equipment = Equipment.objects.bulk_create(
        [
            Equipment(
                carrier=base,
                name=e["name"],
                model=e["model"],
                value=Decimal(str(e["value"])),
                status="maintenance" if i == 2 else "in_service",
            )
            for i, e in enumerate(cfg["equipment"])
        ]
    )
    clients = list(
        Residency.objects.filter(carrier__kind="valley", enterprise__isnull=False)
        .order_by("pk")
        .values_list("enterprise_id", flat=True)[:60]
    )
    kinds = [k for k, _ in PilotService.Kind.choices]
    outcomes = {
        "pilot_trial": "完成中试验证，工艺参数定型",
        "small_batch": "试制 500 件，良品率 96%",
        "testing": "出具检测报告",
        "process": "形成工艺包一套",
    }
    services = []
    for i in range(36):
        kind = kinds[int(rng.integers(0, len(kinds)))]
        started = anchor - dt.timedelta(days=int(rng.integers(5, 400)))
        ended = started + dt.timedelta(days=int(rng.integers(3, 60)))
        services.append(
            PilotService(
                carrier=base,
                enterprise_id=clients[int(rng.integers(0, len(clients)))] if clients else None,
                client="" if clients else "谷区企业",
                equipment=equipment[int(rng.integers(0, len(equipment)))],
                kind=kind,
                started_on=started,
                ended_on=ended if ended < anchor and i % 6 else None,
                fee=Decimal(str(round(float(rng.uniform(2, 60)), 2))),
                outcome=outcomes[kind] if ended < anchor and i % 6 else "",
            )
        )
    PilotService.objects.bulk_create(services)
    return len(services)


def _offshore(rng, cfg: dict, anchor: dt.date) -> int:
    spec = cfg["offshore"]
    partners = ["科创服务有限公司", "技术转移中心", "创新创业服务有限公司"]
    centres = []
    for i, city in enumerate(spec["operating"] + spec["planning"]):
        operating = city in spec["operating"]
        centres.append(
            Carrier.objects.create(
                name=f"太原（{city}）离岸创新中心",
                kind=Carrier.Kind.OFFSHORE_CENTRE,
                city=city,
                partner=f"{city}汇智{partners[i % len(partners)]}（合作运营）",
                status=Carrier.Status.OPERATING if operating else Carrier.Status.PLANNING,
                opened_on=dt.date(2023 + i % 3, 3 + i % 9, 1) if operating else None,
                description="在创新资源集聚城市设立，引进项目与人才回本地落地（“研发在外、转化在本地”）。",
            )
        )
    operating = [c for c in centres if c.status == Carrier.Status.OPERATING]
    fields = spec["fields"]
    projects = []
    for status, n, pool in (
        ("brought_in", spec["brought_in"], operating),
        ("in_talks", spec["in_talks"], centres),
        ("dropped", spec["dropped"], operating),
    ):
        for k in range(n):
            centre = pool[int(rng.integers(0, len(pool)))] if status != "in_talks" or k % 4 else operating[k % 7]
            field = fields[int(rng.integers(0, len(fields)))]
            started = anchor - dt.timedelta(days=int(rng.integers(30, 700)))
            projects.append(
                OffshoreProject(
                    carrier=centre,
                    name=f"{field}项目 {centre.city}-{len(projects) + 1:03d}",
                    source=f"{centre.city}高校院所团队",
                    field=field,
                    status=status,
                    started_on=started,
                    brought_in_on=min(started + dt.timedelta(days=int(rng.integers(60, 300))), anchor)
                    if status == "brought_in"
                    else None,
                    note="洽谈终止：落地条件未谈妥" if status == "dropped" else "",
                )
            )
    OffshoreProject.objects.bulk_create(projects)
    return len(projects)


# ---------------------------------------------------------------- chains


def _chains(rng, cfg: dict, admin: User, password: str, anchor: dt.date) -> dict[str, int]:
    firms = pl.DataFrame(
        list(Enterprise.objects.order_by("pk").values_list("pk", "industry_id")),
        schema={"id": pl.Int64, "industry": pl.Utf8},
        orient="row",
    )
    profiles: dict[int, str] = {}
    for chain in cfg["chains"]:
        for p in chain.get("profiles", []):
            ids = firms.filter(pl.col("industry").is_in(p["classes"]))["id"].to_list()
            ids = [i for i in ids if i not in profiles]
            chosen = (
                ids
                if p["n"] == "all"
                else [ids[i] for i in sorted(rng.choice(len(ids), min(p["n"], len(ids)), replace=False))]
            )
            for j, firm in enumerate(chosen):
                profiles[firm] = p["texts"][j % len(p["texts"])]
    ProductProfile.objects.bulk_create(
        [ProductProfile(enterprise_id=e, products=t, source="演示数据") for e, t in profiles.items()], batch_size=2000
    )
    revenue_year = AnnualFigure.objects.order_by("-year").values_list("year", flat=True).first()
    revenue = dict(AnnualFigure.objects.filter(year=revenue_year).values_list("enterprise_id", "revenue"))
    designated: set[int] = set()
    chains, n_targets = [], 0
    officials_pool = list(User.objects.filter(role=Role.BUREAU_STAFF).order_by("pk"))
    for order, spec in enumerate(cfg["chains"]):
        chain = Chain.objects.create(
            code=spec["code"], name=spec["name"], zone=cfg["zone"], description=spec.get("description", ""), order=order
        )
        by_name = {}
        for i, s in enumerate(spec["segments"]):
            chain_services.check_codes(list(s.get("codes", [])))
            by_name[s["name"]] = Segment.objects.create(
                chain=chain,
                name=s["name"],
                position=s["position"],
                industry_codes=list(s.get("codes", [])),
                keywords=list(s.get("keywords", [])),
                products=list(s.get("products", [])),
                weight=Decimal(str(s.get("weight", 1))),
                order=i,
            )
        for s in spec["segments"]:
            by_name[s["name"]].supplies.set([by_name[t] for t in s.get("supplies", [])])
        chain_services.suggest_placements(user=admin, chain=chain, as_of=anchor)
        pending = list(Placement.objects.filter(segment__chain=chain).order_by("segment__order", "-score", "pk"))
        rejected = [p for p in pending if (p.score or 0) < 0.56][:2]
        keep = [p for i, p in enumerate(pending) if p not in rejected and i % 17 == 5]
        chain_services.decide(user=admin, placements=rejected, confirm=False, note="经核实不属于本环节")
        chain_services.decide(
            user=admin,
            placements=[p for p in pending if p not in rejected and p not in keep],
            confirm=True,
            note="演示数据：经核实确认",
        )
        confirmed = list(
            Placement.objects.filter(segment__chain=chain, status=Placement.Status.CONFIRMED).values_list(
                "segment__name", "enterprise_id"
            )
        )

        def best(candidates):
            ranked = sorted({e for e in candidates if e not in designated}, key=lambda e: (-(revenue.get(e) or 0), e))
            return ranked

        # The leader is the largest firm of the chain's core segment (of the whole chain in a small demo region).
        leaders = best(e for name, e in confirmed if name == spec["leader_segment"]) or best(e for _n, e in confirmed)
        leader = leaders[0] if leaders else None
        designated.add(leader)
        cores = best(e for _name, e in confirmed)[:3]
        designated.update(cores)
        on = cfg["designated_on"]
        rows = (
            [
                Designation(
                    chain=chain,
                    enterprise_id=leader,
                    role="chain_leader",
                    designated_on=on,
                    document=cfg["document"],
                    created_by=admin,
                )
            ]
            if leader
            else []
        )
        rows += [
            Designation(
                chain=chain,
                enterprise_id=e,
                role="chain_core",
                designated_on=on,
                document=cfg["document"],
                created_by=admin,
            )
            for e in cores
        ]
        if order in (0, 4):  # a former 链核 whose designation ended (dates matter)
            former = best(e for _name, e in confirmed)
            if former:
                designated.add(former[0])
                rows.append(
                    Designation(
                        chain=chain,
                        enterprise_id=former[0],
                        role="chain_core",
                        designated_on=on,
                        ends_on=dt.date(2025, 6, 30),
                        document=cfg["document"],
                        created_by=admin,
                    )
                )
        Designation.objects.bulk_create(rows)
        chains.append((chain, leader, by_name))
    statuses = ["lead", "contacted", "negotiating", "signed", "arrived", "dropped", "negotiating", "lead"]
    targets = []
    codes = {c.code: (c, by) for c, _leader, by in chains}
    for i, t in enumerate(cfg["targets"]):
        chain, by_name = codes[t["chain"]]
        status = statuses[i % len(statuses)]
        signed = anchor - dt.timedelta(days=int(rng.integers(40, 200))) if status in ("signed", "arrived") else None
        targets.append(
            RecruitmentTarget(
                chain=chain,
                segment=by_name[t["segment"]],
                company=t["company"],
                location=t["location"],
                products="、".join(by_name[t["segment"]].products),
                investment=Decimal(str(t["investment"])),
                source=t["source"],
                contact="投资部负责人（电话见线索台账）",
                owner=officials_pool[i % len(officials_pool)],
                status=status,
                signed_on=signed,
                arrived_on=signed + dt.timedelta(days=30) if status == "arrived" else None,
                next_step={
                    "lead": "链主引荐，约见企业",
                    "contacted": "赴企业考察",
                    "negotiating": "商谈用地与扶持政策",
                    "signed": "办理注册与项目备案",
                    "arrived": "跟进投产",
                    "dropped": "",
                }[status],
                dropped_reason="企业投资计划调整" if status == "dropped" else "",
                created_by=admin,
            )
        )
    RecruitmentTarget.objects.bulk_create(targets)
    n_targets = len(targets)
    leader_firm = next((leader for _c, leader, _by in chains if leader), None)
    if leader_firm:
        User.objects.create(
            username="chain_leader",
            display_name="链主企业联络员",
            role=Role.ENTERPRISE_USER,
            enterprise_id=leader_firm,
            password=password,
        )
    return {
        "chains": len(chains),
        "profiles": len(profiles),
        "targets": n_targets,
        "placements": Placement.objects.count(),
    }


# ---------------------------------------------------------------- KPIs and ranking


def _kpis(rng, carriers: dict, cfg: dict, admin: User, anchor: dt.date) -> int:
    months = [_month(anchor, back) for back in range(12, 0, -1)]  # the last twelve complete months
    start, end = months[0], _month(anchor, 0)
    year = AnnualFigure.objects.order_by("-year").values_list("year", flat=True).first()
    figures = {
        e: (r, i, f)
        for e, r, i, f in AnnualFigure.objects.filter(year=year).values_list(
            "enterprise_id", "revenue", "invention_applications", "equity_financing"
        )
    }
    reports = []
    for spec in cfg["kpi_carriers"]:
        carrier = carriers[spec["key"]]
        stays = list(Residency.objects.filter(carrier=carrier).values_list("enterprise_id", "start", "end"))
        signed = {}
        for _e, s, _end in stays:
            if start <= s < end:
                signed[s.replace(day=1)] = signed.get(s.replace(day=1), 0) + 1
        scale = float(spec.get("scale", 1.0))
        for i, month in enumerate(months):
            current = [e for e, s, stop in stays if e and s < month and (stop is None or stop > month)]
            if stays:
                rev = sum(float(figures.get(e, (0, 0, 0))[0] or 0) for e in current) / 12
                ip = sum(float(figures.get(e, (0, 0, 0))[1] or 0) for e in current) / 12
                fin = sum(float(figures.get(e, (0, 0, 0))[2] or 0) for e in current) / 12
                firms_signed = signed.get(month, 0)
                if rev <= 0:  # a small demo region: residents without figures yet
                    rev = 300 * scale
            else:
                rev, ip, fin = 2600 * scale, 14 * scale, 300 * scale
                firms_signed = int(max(0, round(6 * scale + rng.normal(0, 1))))
            noise = 1 + float(rng.normal(0, 0.04))
            revenue = rev * noise
            anomaly = spec.get("anomaly")
            if anomaly and i == len(months) + anomaly["month"] and anomaly["metric"] == "revenue":
                revenue = revenue * anomaly["factor"] + 500  # beyond the checks' minimum change at any scale
            reports.append(
                KpiReport(
                    carrier=carrier,
                    month=month,
                    firms_signed=firms_signed,
                    revenue=Decimal(str(round(revenue, 2))),
                    ip_applications=round(ip * (1 + rng.normal(0, 0.05))),
                    financing=Decimal(str(round(fin * (1 + float(rng.normal(0, 0.05))), 2))),
                    events=int(max(1, round(spec["events"] + rng.normal(0, 1)))),
                    source="demo",
                    submitted_by=admin,
                )
            )
    KpiReport.objects.bulk_create(reports, batch_size=500)
    carrier_services.recheck([carriers[s["key"]].pk for s in cfg["kpi_carriers"]], as_of=anchor)
    for month in months:
        carrier_services.rank_month(user=admin, month=month)
    return len(reports)


# ---------------------------------------------------------------- one-stop services and 包联


def _services(rng, carriers: dict, cfg: dict, anchor: dt.date) -> int:
    offices = []
    for o in cfg["offices"]:
        offices.append(
            Office(
                name=o["name"],
                carrier=carriers.get(o.get("carrier")),
                categories=o["categories"],
                order=o["order"],
                phone=f"0351-{7000000 + o['order'] * 1111}",
            )
        )
    Office.objects.bulk_create(offices)
    office_rows = [
        {"id": o.pk, "name": o.name, "carrier_id": o.carrier_id, "categories": o.categories}
        for o in Office.objects.order_by("order", "pk")
    ]
    params = rules.params("service_routing", "default", anchor)
    doc = rules.rule_in_force("service_routing", "default", anchor)
    valley_firms = list(
        Residency.objects.filter(carrier__kind="valley", enterprise__isnull=False, end__isnull=True)
        .order_by("pk")
        .values_list("enterprise_id", flat=True)
    )
    others = list(Enterprise.objects.exclude(pk__in=valley_firms).order_by("pk").values_list("pk", flat=True)[:2000])
    resident = {}
    for e, cid, name in (
        Residency.objects.filter(end__isnull=True, enterprise__isnull=False)
        .select_related("carrier")
        .order_by("-start")
        .values_list("enterprise_id", "carrier_id", "carrier__name")
    ):
        resident.setdefault(e, []).append({"id": cid, "name": name})
    categories = list(routing.CATEGORIES)
    titles = {
        "registration_tax": ["变更注册地址", "研发费用加计扣除申报", "办理税务登记"],
        "cultivation": ["高新技术企业申报辅导", "科技型中小企业评价入库", "专精特新申报辅导"],
        "tech_evaluation": ["科技成果评价", "技术合同认定登记"],
        "ip": ["发明专利申请代理", "专利导航分析"],
        "finance": ["创新积分贷对接", "天使投资路演报名"],
        "space": ["扩租办公与实验场地", "中试场地申请"],
    }
    own = User.objects.filter(role=Role.ENTERPRISE_USER).exclude(username="chain_leader").first()
    staff = list(User.objects.filter(role__in=[Role.BUREAU_STAFF]).order_by("pk"))
    plan = [
        ("completed", 60, True),
        ("completed", 30, False),
        ("accepted", 30, None),
        ("submitted", 16, None),
        ("rejected", 8, None),
        ("withdrawn", 7, None),
    ]
    sources = ["enterprise", "enterprise", "diagnosis", "official", "hall"]
    requests = []
    for status, n, rated in plan:
        for k in range(n):
            if (
                own
                and own.enterprise_id
                and len([r for r in requests if r.enterprise_id == own.enterprise_id]) < 5
                and k == 0
            ):
                firm = own.enterprise_id
            else:
                pool = valley_firms if k % 3 else others
                firm = int(pool[int(rng.integers(0, len(pool)))])
            category = categories[int(rng.integers(0, len(categories)))]
            title = titles[category][int(rng.integers(0, len(titles[category])))]
            route = routing.route(category, office_rows, resident.get(firm, []), params)
            if status == "submitted":
                submitted = anchor - dt.timedelta(days=int((k % 2 and rng.integers(5, 15)) or rng.integers(0, 1)))
            elif status == "accepted":
                submitted = anchor - dt.timedelta(days=int(rng.integers(2, 18)))
            else:
                submitted = anchor - dt.timedelta(days=int(rng.integers(20, 200)))
            req = ServiceRequest(
                enterprise_id=firm,
                category=category,
                title=title,
                detail="企业提出的具体需求（演示数据）。",
                source=sources[k % len(sources)],
                office_id=route["office_id"],
                route_reason=route["reason"],
                status=status,
                submitted_on=submitted,
                rule_key=doc.key,
                assigned_to=staff[k % len(staff)] if status in ("accepted", "completed") else None,
            )
            if status in ("accepted", "completed"):
                req.accepted_on = submitted + dt.timedelta(days=1)
                due = routing.deadline(req.accepted_on, category, params)
                req.due_on, req.deadline_basis = due["due_on"], due["basis"][:300]
            if status == "completed":
                late = k % 9 == 4
                req.finished_on = min(
                    req.due_on + dt.timedelta(days=3)
                    if late
                    else req.accepted_on + dt.timedelta(days=int(rng.integers(1, 5))),
                    anchor,
                )
                req.result = "已办结：材料审核通过并反馈企业。"
                if rated:
                    req.rating = int(rng.choice([5, 5, 5, 4, 4, 3, 2]))
                    req.rating_comment = {5: "办事高效，不用跑腿", 4: "服务周到", 3: "基本满意", 2: "等待时间较长"}[
                        req.rating
                    ]
                    req.rated_at = dt.datetime.combine(req.finished_on, dt.time(16, 0), tzinfo=dt.UTC)
            if status in ("rejected", "withdrawn"):
                req.finished_on = submitted + dt.timedelta(days=1)
                req.result = "不属于本窗口受理范围，已告知企业向市场监管部门咨询" if status == "rejected" else ""
            requests.append(req)
    ServiceRequest.objects.bulk_create(requests, batch_size=500)
    return len(requests)


def _officials(rng, cfg: dict, password: str, anchor: dt.date) -> tuple[int, int]:
    officials = [User.objects.get(username="bureau_staff")]
    for o in cfg["officials"]:
        officials.append(
            User.objects.create(
                username=o["username"],
                display_name=o["display_name"],
                role=Role.BUREAU_STAFF,
                password=password,
                organisation=officials[0].organisation,
            )
        )
    params = rules.params("official_visits", "default", anchor)
    certificates = pl.DataFrame(
        list(Qualification.objects.filter(kind="hte_certificate").values_list("enterprise__uscc", "expires_on")),
        schema=visits.CERT_SCHEMA,
        orient="row",
    )
    due = visits.hte_due(certificates, anchor, params)["uscc"].to_list()
    due_ids = list(Enterprise.objects.filter(uscc__in=due).order_by("pk").values_list("pk", flat=True))
    chain_firms = list(
        Placement.objects.filter(status="confirmed")
        .values_list("enterprise_id", flat=True)
        .distinct()
        .order_by("enterprise_id")
    )
    valley = list(
        Residency.objects.filter(carrier__kind="valley", enterprise__isnull=False)
        .values_list("enterprise_id", flat=True)
        .order_by("enterprise_id")
    )
    per = cfg["firms_per_official"]
    # Each official serves a few 高企 due to re-apply; the rest of them wait for the bureau to assign them.
    due_assigned = due_ids[: cfg["hte_due_per_official"] * len(officials)]
    others = [
        e
        for e in dict.fromkeys(list(rng.permutation(chain_firms)) + list(rng.permutation(valley)))
        if e not in set(due_ids)
    ]
    pool = []
    for k in range(len(officials)):  # interleaved so that each official gets its share of due firms
        mine = due_assigned[k :: len(officials)]
        pool += [(k, e) for e in mine + others[k * per : (k + 1) * per - len(mine)]]
    assignments, visit_rows = [], []
    notes = [
        "了解企业研发投入与人才需求，介绍研发费用加计扣除政策",
        "企业反映用地与融资需求，已对接科技金融服务中心",
        "走访生产线，企业计划申报高新技术企业",
        "座谈了解产业链配套需求，推荐本地供应商",
    ]
    follow = ["协调银行对接创新积分贷", "组织高企申报辅导", "对接高校技术团队", "推荐参加产业链对接会"]
    for k, firm in pool:
        official = officials[k]
        since = anchor - dt.timedelta(days=int(rng.integers(200, 700)))
        assignments.append(Assignment(official=official, enterprise_id=int(firm), since=since))
        n_visits = int(rng.choice([0, 1, 2, 3, 4], p=[0.06, 0.3, 0.32, 0.22, 0.1]))
        recent_gap = int(rng.choice([15, 45, 75, 120, 200], p=[0.4, 0.3, 0.15, 0.1, 0.05]))
        for j in range(n_visits):
            day = anchor - dt.timedelta(days=recent_gap + 90 * j + int(rng.integers(0, 20)))
            if day <= since:
                break
            has_follow = rng.random() < 0.35
            visit_rows.append(
                Visit(
                    official=official,
                    enterprise_id=int(firm),
                    visited_on=day,
                    kind=["on_site", "phone", "meeting", "online"][int(rng.integers(0, 4))],
                    notes=notes[int(rng.integers(0, len(notes)))],
                    follow_up=follow[int(rng.integers(0, len(follow)))] if has_follow else "",
                    follow_up_due=day + dt.timedelta(days=30) if has_follow else None,
                    follow_up_done_on=(day + dt.timedelta(days=20)) if has_follow and j > 0 else None,
                )
            )
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    Visit.objects.bulk_create(visit_rows, batch_size=1000)
    return len(assignments), len(visit_rows)
