"""The demo's 揭榜挂帅: ~30 challenges in every stage, 赛马 races with eliminations and a merge, a 3000万 pool
funded 1:1:1, payment batches in every state, spending and subsidies, experts and their review links.

Calibrated on 泰州 (field-notes.md): 28 published challenges with about 1.1亿 of rewards, 9 implemented; a 2025
pool of 3000万 from province, city and institute 1:1:1. Everything goes through the app's services (the same
checks, ledger and audit trail as a user's clicks), with business dates set relative to the day the demo is
built, so open challenges are open and review links work whenever the demo is looked at; the choices (firms,
teams, scores) are drawn from the seed.

Accounts (password as every demo account): `challenge_issuer` (enterprise user of an issuing firm; the demo's
`enterprise_user` firm issues two challenges too), `solver_tyut` (太原理工大学), `solver_nuc` (中北大学),
`solver_sxicc` (中科院山西煤化所, a research institute) and `solver_firm` (an enterprise user of a solver firm),
beside `institution_user` (山西大学). Experts have no account: their review links are on each panel.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import random
from decimal import ROUND_UP, Decimal
from pathlib import Path

import yaml
from django.db.models import Max
from django.utils import timezone

from kechuang.accounts.models import Organisation, User
from kechuang.challenges import services
from kechuang.challenges.models import Application, Challenge, Expert, MilestoneReport, Subsidy, Tranche
from kechuang.enterprises.models import AnnualFigure, Enterprise
from kechuang.policies.models import BankAccount

DATA = Path(__file__).with_name("data") / "challenges.yaml"
CRITERIA = ("technical", "team", "plan", "budget")
DAY = dt.timedelta(days=1)
SOLVERS = (
    ("solver_tyut", "揭榜专员（太原理工大学）", "太原理工大学"),
    ("solver_nuc", "揭榜专员（中北大学）", "中北大学"),
    ("solver_sxicc", "揭榜专员（煤化所）", "中国科学院山西煤炭化学研究所"),
)
TEAM_NAMES = ("攻关团队", "联合创新团队", "工程化团队", "青年突击队")


def d(offset: int, today: dt.date) -> dt.date:
    return today + offset * DAY


class Builder:
    def __init__(self, seed: int, password: str):
        self.rng = random.Random(seed * 7919 + 17)
        self.today = timezone.localdate()
        self.password = password
        self.cfg = yaml.safe_load(DATA.read_text(encoding="utf-8"))
        self.staff = User.objects.get(username="bureau_staff")
        self.admin = User.objects.get(username="bureau_admin")
        self.payable: list[tuple[dt.date, Tranche]] = []
        self.titles: set[str] = set()
        self.stats = {"challenges": 0, "applications": 0}

    # ---------------------------------------------------------------- people and money

    def accounts(self) -> None:
        orgs = {o.name: o for o in Organisation.objects.filter(kind__in=["institution", "rd_institution"])}
        self.leads = []  # (user, organisation name)
        sxu_user = User.objects.filter(role="institution_user", organisation__isnull=False).first()
        if sxu_user is not None and sxu_user.organisation.kind in ("institution", "rd_institution"):
            self.leads.append(sxu_user)
        for username, name, org_name in SOLVERS:
            org = orgs.get(org_name)
            if org is None:
                continue
            self.leads.append(self._user(username, name, "institution_user", organisation=org))
        firms = list(Enterprise.objects.order_by("-pk")[:400].values_list("pk", flat=True))
        known = set(
            AnnualFigure.objects.filter(enterprise_id__in=firms, dishonest_listed=False).values_list(
                "enterprise_id", flat=True
            )
        )
        listed = set(
            AnnualFigure.objects.filter(enterprise_id__in=firms, dishonest_listed=True).values_list(
                "enterprise_id", flat=True
            )
        )
        clean = [f for f in firms if f in known and f not in listed]
        demo_firm = User.objects.filter(username="enterprise_user").values_list("enterprise_id", flat=True).first()
        issuers = sorted(
            Enterprise.objects.exclude(pk=demo_firm)
            .annotate(rev=Max("figures__revenue"))
            .filter(rev__isnull=False)
            .order_by("-rev", "pk")
            .values_list("pk", flat=True)[:40]
        )
        self.rng.shuffle(issuers)
        solver_firm = next((f for f in clean if f not in issuers and f != demo_firm), clean[0] if clean else None)
        if solver_firm is not None:
            self.leads.append(
                self._user(
                    "solver_firm",
                    "揭榜企业技术负责人",
                    "enterprise_user",
                    enterprise=Enterprise.objects.get(pk=solver_firm),
                )
            )
        self.issuer_user = self._user(
            "challenge_issuer", "发榜企业联系人", "enterprise_user", enterprise=Enterprise.objects.get(pk=issuers[0])
        )
        self.issuers = [issuers[0]] * 5 + ([demo_firm] * 2 if demo_firm else []) + issuers[1:]
        self.issuer_iter = itertools.cycle(self.issuers)  # a small demo region reuses its issuers

    def _user(self, username, name, role, organisation=None, enterprise=None) -> User:
        user = User(username=username, display_name=name, role=role, organisation=organisation, enterprise=enterprise)
        user.set_password(self.password)
        user.save()
        return user

    def experts(self) -> None:
        e = self.cfg["experts"]
        used, made = set(), []
        for i in range(40):
            while True:
                name = self.rng.choice(e["surnames"]) + self.rng.choice(e["given"])
                if name not in used:
                    used.add(name)
                    break
            fields = "、".join(sorted(self.rng.sample(e["fields"], 2)))
            made.append(
                services.save_expert(
                    user=self.staff,
                    name=name,
                    institution=e["institutions"][i % len(e["institutions"])],
                    fields=fields,
                    title=self.rng.choice(e["titles"]),
                    phone=f"139{self.rng.randrange(10**8):08d}",
                )
            )
        self.expert_list = made
        for ex in made[::9]:  # a few declared conflicts and recent co-operations, so exclusions show
            services.declare_conflict(
                expert=ex, user=self.staff, organisation="太原理工大学", reason="曾在该校兼职", on=d(-400, self.today)
            )
        for ex in made[4::11]:
            services.add_cooperation(
                user=self.staff,
                expert=ex,
                organisation="中北大学",
                on=d(-300, self.today),
                description="联合承担省重点研发计划项目",
            )

    def pool(self) -> None:
        self.pool_obj = services.create_pool(
            user=self.admin,
            name="2025年揭榜挂帅专项资金池",
            year=2025,
            note="省级财政、市级财政、省产业技术研究院按 1:1:1 出资，共 3000 万元",
            sources=[("省级财政", 1, 1000), ("市级财政", 1, 1000), ("产研院", 1, 1000)],
        )
        for i, source in enumerate(self.pool_obj.sources.order_by("order")):
            services.contribute(
                user=self.staff,
                source=source,
                amount=Decimal("1000"),
                on=d(-700 + 10 * i, self.today),
                note=f"{source.name}专项资金到位",
            )

    # ---------------------------------------------------------------- one challenge

    def budget(self, spec: dict) -> tuple[Decimal, Decimal]:
        """(total, the issuer's own part): races 800–1000万 half self-funded, others 100–300万 60–75%
        self-funded, so the published ones add up to about 1.1亿 and the pool's part fits the 3000万."""
        if spec.get("race"):
            total = Decimal(self.rng.randrange(80, 101) * 10)
            return total, (total * Decimal("0.5")).quantize(Decimal("1"))
        total = Decimal(self.rng.randrange(10, 31) * 10)
        return total, (total * Decimal(self.rng.choice(["0.6", "0.65", "0.7", "0.75"]))).quantize(Decimal("1"))

    def create(self, spec: dict, collected: dt.date) -> Challenge:
        origin = ["department", "staff", "techtransfer_need"][self.stats["challenges"] % 3]
        issuer = Enterprise.objects.get(pk=next(self.issuer_iter))
        self.stats["challenges"] += 1
        return services.create(
            user=self.staff,
            title=spec["title"],
            origin=origin,
            need_text=spec["need"],
            collected_on=collected,
            field=spec["field"],
            origin_department="市工业和信息化局" if origin == "department" else "",
            issuer=issuer,
            issuer_contact="技术总监",
        )

    def drafted(self, spec: dict, published: dt.date, deadline: dt.date, due: dt.date, dues: list[dt.date]):
        ch = self.create(spec, published - 60 * DAY)
        ch = services.move(user=self.staff, challenge=ch, target="review", on=published - 58 * DAY)
        services.add_visit(
            user=self.staff,
            challenge=ch,
            visited_on=published - 55 * DAY,
            visitors="科技局成果转化科 2 人、行业专家 1 人",
            findings="需求真实具体，企业具备中试条件，愿意自筹大部分经费",
            recommendation="同意编制榜单",
        )
        ch = services.move(user=self.staff, challenge=ch, target="drafting", on=published - 50 * DAY)
        due = max(due, dues[-1] + 30 * DAY) if dues else due
        budget, own = self.budget(spec)
        spec["_budget"] = budget
        fields = {
            "title": spec["title"],
            "goals": spec.get("goals", spec["need"]),
            "budget": budget,
            "issuer_funding": own,
            "deadline": deadline,
            "completion_due": due,
            "ip_ownership": self.rng.choice(["issuer", "shared", "agreed"]),
            "licence_back": self.rng.choice(["non_exclusive_free", "issuer_to_solver"]),
            "publication": self.rng.choice(["issuer_consent", "after_acceptance"]),
            "race": bool(spec.get("race")),
            "max_teams": 4 if spec.get("race") else None,
            "pool": self.pool_obj.pk,
        }
        indicators = [
            {"name": n, "unit": u, "comparison": c, "target": str(t), "required": r}
            for n, u, c, t, r in spec.get("indicators", [])
        ]
        milestones = [
            {"title": t, "deliverable": dl, "due_on": due_on}
            for (t, dl), due_on in zip(spec.get("milestones", []), dues, strict=False)
        ]
        return services.save_draft(
            user=self.staff, challenge=ch, fields=fields, indicators=indicators, milestones=milestones
        )

    def published(self, spec, published, deadline, due, dues):
        ch = self.drafted(spec, published, deadline, due, dues)
        ch = services.move(user=self.staff, challenge=ch, target="approval", on=published - 10 * DAY)
        return services.move(user=self.admin, challenge=ch, target="published", on=published)

    def apply(self, ch: Challenge, n: int, on: dt.date, small: int | None = None) -> list[Application]:
        """`n` applications from different leads; the `small`-th (if given) has a two-person team, which the
        rule finds ineligible (at least 3), so the demo shows a refusal with its reason."""
        out = []
        leads = self.rng.sample(self.leads, min(n, len(self.leads)))
        for i, user in enumerate(leads):
            org = str(user.organisation or user.enterprise)
            partner = self.rng.choice(["太原科技大学", "山西农业大学", "山西省产业技术研究院", org])
            surnames = self.cfg["experts"]["surnames"]
            members = [
                {
                    "name": f"{self.rng.choice(surnames)}{self.rng.choice('伟芳娜敏静强磊洋')}",
                    "organisation": org if k < 3 else partner,
                    "title": self.rng.choice(["教授", "工程师", "博士"]),
                }
                for k in range(2 if i == small else self.rng.randrange(3, 7))
            ]
            plan = [
                {"title": m.title, "due_on": m.due_on.isoformat(), "deliverable": m.deliverable}
                for m in ch.milestones.all()
            ]
            app = services.apply(
                user=user,
                challenge=ch,
                team_name=f"{org[:6]}{TEAM_NAMES[i % len(TEAM_NAMES)]}",
                leader=members[0]["name"],
                contact=f"0351-{self.rng.randrange(10**7):07d}",
                members=members,
                plan=f"围绕“{ch.title}”，采用"
                f"{self.rng.choice(['机理建模+工艺优化', '材料设计+中试验证', '算法研发+现场迭代'])}"
                f"的技术路线，分阶段完成攻关。",
                budget_requested=(ch.public_funding * Decimal(self.rng.choice(["0.6", "0.8", "1"]))).quantize(
                    Decimal("1")
                ),
                milestones=plan,
                declared_credit=True,
                on=min(on + i * 3 * DAY, ch.deadline, self.today),
            )
            if app.eligibility == "unknown":
                services.confirm_eligibility(
                    user=self.staff, application=app, outcome="eligible", note="已查询信用中国，无严重失信记录"
                )
            out.append(app)
        self.stats["applications"] += len(out)
        return out

    def panel(
        self,
        ch: Challenge,
        on: dt.date,
        deadline: dt.date,
        apps,
        scored: int | None = None,
        strengths: dict | None = None,
    ):
        ch = services.move(user=self.staff, challenge=ch, target="assessment", on=on)
        panel = services.draw_panel(
            user=self.staff, challenge=ch, deadline=deadline, seed=self.rng.randrange(10**6), on=on
        )
        members = list(panel.members.all().order_by("pk"))
        eligible = [a for a in apps if a.eligibility == "eligible"]
        for m in members[: scored if scored is not None else len(members)]:
            for a in eligible:
                base = (strengths or {}).get(a.pk, self.rng.randrange(68, 88))
                sheet = {c: max(0, min(100, base + self.rng.randrange(-8, 9))) for c in CRITERIA}
                services.submit_score(
                    member=m,
                    application=a,
                    sheet=sheet,
                    comment=self.rng.choice(
                        [
                            "技术路线清晰，前期基础扎实。",
                            "方案可行，建议细化中试放大的风险应对。",
                            "团队实力较强，经费预算基本合理。",
                            "创新性一般，关键指标的实现路径论证不足。",
                        ]
                    ),
                    on=min(on + DAY, deadline),
                )
        return ch

    def select(self, ch: Challenge, on: dt.date, n: int) -> Challenge:
        services.finalise_review(user=self.staff, challenge=ch, on=on)
        ranked = list(services.scorable(ch).filter(passed=True).order_by("rank", "pk")[:n])
        services.select_teams(user=self.staff, challenge=ch, application_ids=[a.pk for a in ranked])
        ch.refresh_from_db()
        return ch

    def contract(self, ch: Challenge, on: dt.date, first: Decimal, total: Decimal) -> list[Application]:
        ch = services.move(user=self.staff, challenge=ch, target="contracting", on=on)
        teams = []
        for i, app in enumerate(ch.applications.filter(status="selected").order_by("rank", "pk")):
            app = services.sign_contract(
                user=self.staff,
                team=app,
                contract_no=f"{ch.code}-HT{i + 1}",
                contract_sum=total,
                signed_on=on + (i + 1) * DAY,
                account_name=app.lead_name,
                bank_name="汾河科技银行太原分行",
                account_number=f"6230{self.rng.randrange(10**12):012d}",
                first_tranche=first,
            )
            self.payable.append((on + 10 * DAY, app.tranches.get(seq=1)))
            teams.append(app)
        services.move(user=self.staff, challenge=ch, target="implementing", on=on + (len(teams) + 1) * DAY)
        return teams

    def report_all(self, teams, milestone, on: dt.date) -> None:
        for t in teams:
            services.report_milestone(
                user=t.submitted_by,
                team=t,
                milestone=milestone,
                on=on,
                summary=f"已完成“{milestone.title}”：{milestone.deliverable}已提交，关键数据见附件。",
            )

    def race_review(self, ch, milestone, on, teams, decisions) -> None:
        experts = self.free_experts(ch, 3, on)
        services.race_review(
            user=self.staff,
            challenge=ch,
            milestone=milestone,
            held_on=on,
            experts=experts,
            staff="科技局成果转化科",
            note="按里程碑考核指标逐队评审。",
            decisions=decisions,
        )

    def free_experts(self, ch: Challenge, n: int, on: dt.date) -> list[Expert]:
        found = services.review.conflict_frame(ch, on=on)
        bad = set(found["expert_id"].to_list())
        pool = [e for e in self.expert_list if e.pk not in bad]
        return self.rng.sample(pool, n)

    def spend(self, ch: Challenge, on: dt.date, items: int, verify: bool) -> None:
        teams = list(ch.applications.filter(status__in=Application.TEAM_STATUSES))
        for k in range(items):
            payee = teams[k % len(teams)].lead_name if teams else "合作单位"
            s = services.record_spending(
                user=self.staff,
                challenge=ch,
                amount=Decimal(self.rng.randrange(30, 121)),
                spent_on=on + k * 20 * DAY,
                payee=payee,
                description=["委托研发经费", "中试材料与加工费", "检测认证费"][k % 3],
                evidence_ref=f"FP{on:%Y%m}{self.rng.randrange(10**6):06d}",
            )
            if verify:
                services.verify_spending(
                    user=self.staff, spending=s, ok=True, note="凭证齐全", on=on + (k * 20 + 5) * DAY
                )

    def take_payable(self) -> list[tuple[dt.date, Tranche]]:
        out, self.payable = self.payable, []
        return out

    def bank_account(self, firm: Enterprise) -> None:
        BankAccount.objects.get_or_create(
            enterprise=firm,
            defaults={
                "account_name": firm.name,
                "bank_name": "晋商银行科技支行",
                "account_number": f"6217{self.rng.randrange(10**12):012d}",
            },
        )


def _milestone_dates(start: dt.date, count: int, step: int) -> list[dt.date]:
    return [start + (i + 1) * step * DAY for i in range(count)]


def build(seed: int, password: str, progress=print) -> dict:
    """Build the demo's challenges (called by demo.load after the registry, tiers, points and policies)."""
    b = Builder(seed, password)
    T = b.today
    progress("揭榜挂帅：账号、专家库与 3000 万元资金池……")
    b.accounts()
    b.experts()
    b.pool()
    specs = b.cfg["challenges"]
    progress(f"揭榜挂帅：{len(specs)} 个榜单（需求征集至验收，含赛马）……")
    # Plans that reach a contract pause there (a generator's first yield): the first tranches are paid in
    # quarterly batches before any team is dropped, as they would have been, and then the plans go on.
    paused = []
    for spec in specs:
        run = PLANS[spec["plan"]](b, spec, T)
        if inspect.isgenerator(run):
            next(run)
            paused.append(run)
    _pay(b, T, b.take_payable())
    for run in paused:
        for _ in run:
            pass
    _money(b, T)
    _capabilities(b)
    return {"challenges": b.stats["challenges"], "applications": b.stats["applications"]}


# ---------------------------------------------------------------- plans (one per stage the demo shows)


def _intake(b, spec, T):
    b.create(spec, d(-5, T))


def _review(b, spec, T):
    ch = b.create(spec, d(-20, T))
    ch = services.move(user=b.staff, challenge=ch, target="review", on=d(-18, T))
    services.add_visit(
        user=b.staff,
        challenge=ch,
        visited_on=d(-10, T),
        visitors="科技局成果转化科 王科长",
        findings="企业检测设备老化，需求明确；建议补充缺陷类型与检测节拍要求",
        recommendation="补充材料后编榜",
    )


def _drafting(b, spec, T):
    dues = _milestone_dates(d(60, T), 2, 120)
    b.drafted(spec, d(30, T), d(60, T), d(400, T), dues)


def _approval(b, spec, T):
    dues = _milestone_dates(d(60, T), 2, 120)
    ch = b.drafted(spec, d(5, T), d(60, T), d(400, T), dues)
    services.move(user=b.staff, challenge=ch, target="approval", on=d(-3, T))


def _rejected(b, spec, T):
    ch = b.create(spec, d(-80, T))
    ch = services.move(user=b.staff, challenge=ch, target="review", on=d(-78, T))
    services.add_visit(
        user=b.staff,
        challenge=ch,
        visited_on=d(-70, T),
        visitors="科技局 2 人",
        findings="需求为信息化系统集成采购",
        recommendation="不予立项",
    )
    services.move(user=b.staff, challenge=ch, target="rejected", reason=spec["reason"], on=d(-65, T))


def _open(b, spec, T):
    published = d(-b.rng.randrange(5, 40), T)
    deadline = d(b.rng.randrange(10, 61), T)
    ch = b.published(
        spec,
        published,
        deadline,
        deadline + 420 * DAY,
        _milestone_dates(deadline, len(spec.get("milestones", [])), 120),
    )
    n = b.rng.choice([0, 1, 2, 2, 3])
    if n:
        b.apply(ch, n, published + 2 * DAY, small=1 if n >= 2 and b.rng.random() < 0.5 else None)


def _assessment(b, spec, T, *, scored=None, finalise=False, none_pass=False):
    published, deadline = d(-90, T), d(-12, T)
    ch = b.published(spec, published, deadline, d(420, T), _milestone_dates(d(-12, T), len(spec["milestones"]), 150))
    apps = b.apply(ch, 4 if spec.get("race") else 3, published + 5 * DAY)
    strengths = {a.pk: b.rng.randrange(45, 56) for a in apps} if none_pass else None
    ch = b.panel(ch, d(-10, T), d(10, T), apps, scored=scored, strengths=strengths)
    if finalise:
        ch = b.select(ch, d(-2, T), 3 if spec.get("race") else 1)
    return ch, apps


def _assessment_open(b, spec, T):
    _assessment(b, spec, T, scored=3)


def _assessment_scored(b, spec, T):
    _assessment(b, spec, T)


def _assessment_finalised(b, spec, T):
    _assessment(b, spec, T, finalise=True)


def _assessment_none(b, spec, T):
    published, deadline = d(-220, T), d(-160, T)
    ch = b.published(spec, published, deadline, d(300, T), _milestone_dates(deadline, 2, 150))
    apps = b.apply(ch, 3, published + 5 * DAY)
    strengths = {a.pk: b.rng.randrange(42, 56) for a in apps}
    ch = b.panel(ch, d(-158, T), d(-140, T), apps, strengths=strengths)
    services.finalise_review(user=b.staff, challenge=ch, on=d(-139, T))
    services.move(user=b.staff, challenge=ch, target="closed", reason=spec["reason"], on=d(-135, T))


def _noticed(b, spec, T, published, notice_on, n_teams):
    deadline = published + 50 * DAY
    ch = b.published(
        spec,
        published,
        deadline,
        notice_on + 500 * DAY,
        _milestone_dates(notice_on + 40 * DAY, len(spec["milestones"]), 130),
    )
    apps = b.apply(ch, 4 if spec.get("race") else 3, published + 4 * DAY)
    ch = b.panel(ch, deadline + DAY, deadline + 15 * DAY, apps)
    ch = b.select(ch, deadline + 16 * DAY, n_teams)
    return services.move(user=b.staff, challenge=ch, target="notice", on=notice_on)


def _notice(b, spec, T):
    ch = _noticed(b, spec, T, d(-100, T), d(-2, T), 3 if spec.get("race") else 1)
    if b.rng.random() < 0.7:
        team = ch.applications.filter(status="selected").first()
        o = services.file_objection(
            challenge=ch,
            name="李先生",
            contact="138****2211",
            organisation="某材料公司",
            text_=f"对“{team.team_name}”的团队成员资质有疑问，请核实。",
            application=team,
            on=d(-1, T),
        )
        if b.rng.random() < 0.5:
            services.answer_objection(user=b.staff, objection=o, answer="经核实，团队成员资质符合要求，异议不成立。")


def _contracting(b, spec, T):
    ch = _noticed(b, spec, T, d(-130, T), d(-30, T), 2)
    services.move(user=b.staff, challenge=ch, target="contracting", on=ch.notice_ends + DAY)


def _implemented(b, spec, T, published: dt.date, n_teams: int):
    """Published, assessed, announced and contracted: returns the challenge and its teams (racing)."""
    deadline = published + 50 * DAY
    notice_on = deadline + 20 * DAY
    contract_on = notice_on + 12 * DAY
    ms = len(spec["milestones"])
    dues = _milestone_dates(contract_on, ms, 150)
    ch = b.published(spec, published, deadline, dues[-1] + 60 * DAY, dues)
    apps = b.apply(ch, max(n_teams + 1, 3), published + 4 * DAY)
    ch = b.panel(ch, deadline + DAY, deadline + 12 * DAY, apps)
    ch = b.select(ch, deadline + 13 * DAY, n_teams)
    ch = services.move(user=b.staff, challenge=ch, target="notice", on=notice_on)
    public = ch.public_funding
    if spec.get("race"):
        first = Decimal(b.rng.randrange(55, 81))
        total = min(public, first * 2 + 40)
    else:
        total = public
        first = (total * Decimal("0.6")).quantize(Decimal("1"), ROUND_UP)
    teams = b.contract(ch, ch.notice_ends + DAY, first, total)
    ch.refresh_from_db()
    return ch, teams, list(ch.milestones.order_by("seq"))


def _race(b, ch, teams, m, on, drop: Application | None = None, merge: tuple | None = None):
    """A milestone review: the first team scores best, the others less, a dropped team below the pass mark;
    every decision carries the reviewers' reason (the rule asks for one where they depart from its advice)."""
    racing = [t for t in teams if t.status == "racing"]
    b.report_all(racing, m, m.due_on - 3 * DAY)
    decisions = {}
    for rank, t in enumerate(racing):
        score = b.rng.randrange(86, 93) if rank == 0 else b.rng.randrange(74 - 3 * rank, 84 - 3 * rank)
        decisions[t.pk] = {
            "decision": "continue",
            "score": score,
            "reason": f"考核得分 {score}，阶段指标达成，继续攻关"
            if rank < 2
            else f"考核得分 {score}，工艺路线与其他团队差异明显，评审组决定保留至下一里程碑",
        }
    if drop is not None:
        decisions[drop.pk] = {
            "decision": "eliminate",
            "score": b.rng.randrange(50, 59),
            "reason": "里程碑考核得分低于合格分，关键指标仅达到目标的 70%，按赛马规则淘汰",
        }
    if merge is not None:
        src, into = merge
        decisions[src.pk] = {
            "decision": "merge",
            "merged_into": into.pk,
            "score": b.rng.randrange(66, 72),
            "reason": f"技术路线与“{into.team_name}”互补，经双方同意并入，资金集中使用",
        }
    b.race_review(ch, m, on, teams, decisions)
    for t in teams:
        t.refresh_from_db()


def _concentrate(b, ch, milestone, amount, pay_on):
    for t in services.concentrate(
        user=b.staff, challenge=ch, milestone=milestone, amount=amount, on=milestone.due_on + 12 * DAY
    ):
        b.payable.append((pay_on, t))


def _race_eliminated(b, spec, T):
    ch, teams, ms = _implemented(b, spec, T, d(-290, T), 3)
    yield
    _race(b, ch, teams, ms[0], ms[0].due_on + 7 * DAY, drop=teams[-1])
    ch.refresh_from_db()
    _concentrate(b, ch, ms[0], Decimal("60"), ms[0].due_on + 20 * DAY)
    b.spend(ch, ms[0].due_on - 40 * DAY, 2, verify=True)


def _race_merged(b, spec, T):
    ch, teams, ms = _implemented(b, spec, T, d(-285, T), 3)
    yield
    _race(b, ch, teams, ms[0], ms[0].due_on + 6 * DAY, merge=(teams[2], teams[0]))
    ch.refresh_from_db()
    _concentrate(b, ch, ms[0], Decimal("40"), T + 30 * DAY)  # approved later: left for the draft batch
    b.spend(ch, ms[0].due_on - 30 * DAY, 1, verify=False)


def _single(b, spec, T, published):
    ch, teams, ms = _implemented(b, spec, T, published, 1)
    team = teams[0]
    rest = team.contract_sum - team.tranches.get(seq=1).amount
    second = services.commit(user=b.staff, team=team, amount=rest, milestone=ms[0], on=team.contract_signed_on)
    return ch, team, ms, second


def _single_payable(b, spec, T):
    ch, team, ms, second = _single(b, spec, T, d(-260, T))
    yield
    b.report_all([team], ms[0], ms[0].due_on - 2 * DAY)
    report = MilestoneReport.objects.get(application=team, milestone=ms[0])
    services.decide_report(
        user=b.staff,
        report=report,
        accepted=True,
        score="84",
        reviewers="专家组 3 人、科技局 1 人",
        note="按期完成，指标达到阶段目标",
        on=ms[0].due_on + 5 * DAY,
    )
    b.payable.append((T + 30 * DAY, second))  # draft batch: the bureau admin approves it in the demo
    b.spend(ch, team.contract_signed_on + 20 * DAY, 2, verify=True)


def _single_reported(b, spec, T):
    ch, team, ms, _second = _single(b, spec, T, d(-215, T))
    yield
    b.report_all([team], ms[0], min(ms[0].due_on, T - 5 * DAY))
    b.spend(ch, team.contract_signed_on + 30 * DAY, 1, verify=False)


def _accept(b, ch, team, on, measured_ok=True):
    values = {}
    last = ch.indicators.count()
    for i in ch.indicators.all():
        better = Decimal("1.05") if i.comparison in ("ge", "gt") else Decimal("0.95")
        margin = Decimal(1) if i.unit == "%" and i.comparison == "ge" else better  # a share meets its mark exactly
        if not measured_ok and i.seq == last:
            margin = Decimal("0.65") if i.comparison in ("ge", "gt") else Decimal("1.3")
        values[i.code] = str((i.target * margin).quantize(Decimal("0.001")))
    return services.record_acceptance(
        user=b.staff,
        team=team,
        held_on=on,
        measured=values,
        experts=b.free_experts(ch, 3, on),
        note="现场测试并查阅检测报告",
    )


def _accepted(b, spec, T, *, share=True, published=None):
    ch, team, ms, second = _single(b, spec, T, published or d(-560, T))
    yield
    for m in ms:
        b.report_all([team], m, m.due_on - 2 * DAY)
        report = MilestoneReport.objects.get(application=team, milestone=m)
        services.decide_report(
            user=b.staff,
            report=report,
            accepted=True,
            score=str(b.rng.randrange(80, 93)),
            reviewers="专家组 3 人",
            note="通过",
            on=m.due_on + 5 * DAY,
        )
    b.payable.append((ms[0].due_on + 20 * DAY, second))
    on = ms[-1].due_on + 15 * DAY
    _accept(b, ch, team, on)
    ch = services.move(user=b.staff, challenge=ch, target="accepted", on=on + 3 * DAY)
    b.spend(ch, team.contract_signed_on + 15 * DAY, 3, verify=share)
    if share:
        services.publish_results(
            user=b.staff,
            challenge=ch,
            on=on + 10 * DAY,
            summary=f"{team.lead_name}团队完成“{ch.title}”攻关：{ch.goals}，各项约束性指标均通过验收，"
            "成果已在发榜企业实现应用，相关专利按约定共享。",
        )
        services.compute_subsidy(user=b.staff, challenge=ch, on=on + 12 * DAY)
        b.bank_account(ch.issuer)


def _accepted_plain(b, spec, T):
    yield from _accepted(b, spec, T, published=d(-b.rng.randrange(540, 600), T))


def _accepted_unpublished(b, spec, T):
    yield from _accepted(b, spec, T, share=False, published=d(-470, T))


def _accepted_race(b, spec, T):
    ch, teams, ms = _implemented(b, spec, T, d(-620, T), 4)
    yield
    _race(b, ch, teams, ms[0], ms[0].due_on + 7 * DAY, drop=teams[3])
    ch.refresh_from_db()
    _concentrate(b, ch, ms[0], Decimal("75"), ms[0].due_on + 20 * DAY)
    _race(b, ch, teams, ms[1], ms[1].due_on + 7 * DAY, drop=teams[2])
    ch.refresh_from_db()
    _concentrate(b, ch, ms[1], Decimal("40"), ms[1].due_on + 20 * DAY)
    winner = teams[0]
    _race(b, ch, teams, ms[2], ms[2].due_on + 5 * DAY, drop=teams[1])
    _accept(b, ch, winner, ms[2].due_on + 10 * DAY)
    ch = services.move(user=b.staff, challenge=ch, target="accepted", on=ms[2].due_on + 14 * DAY)
    services.publish_results(
        user=b.staff,
        challenge=ch,
        on=ms[2].due_on + 20 * DAY,
        summary=f"四支团队赛马攻关，经两轮里程碑评审，{winner.lead_name}团队胜出：抗拉强度与延伸率均超过"
        "榜单指标，已在发榜企业车身结构件上批量应用。",
    )
    b.spend(ch, winner.contract_signed_on + 30 * DAY, 3, verify=True)
    services.compute_subsidy(user=b.staff, challenge=ch, on=ms[2].due_on + 25 * DAY)
    b.bank_account(ch.issuer)
    b.clawback = teams[3]


def _closed_empty(b, spec, T):
    published = d(-110, T)
    ch = b.published(spec, published, d(-60, T), d(300, T), _milestone_dates(d(-60, T), 2, 150))
    services.move(user=b.staff, challenge=ch, target="closed", reason=spec["reason"], on=d(-58, T))


def _closed_failed(b, spec, T):
    ch, team, ms, second = _single(b, spec, T, d(-540, T))
    yield
    for m in ms:
        b.report_all([team], m, m.due_on - 2 * DAY)
        report = MilestoneReport.objects.get(application=team, milestone=m)
        services.decide_report(
            user=b.staff,
            report=report,
            accepted=True,
            score="70",
            reviewers="专家组 3 人",
            note="基本完成阶段任务",
            on=m.due_on + 5 * DAY,
        )
    b.payable.append((ms[0].due_on + 20 * DAY, second))
    on = ms[-1].due_on + 15 * DAY
    _accept(b, ch, team, on, measured_ok=False)
    services.move(user=b.staff, challenge=ch, target="closed", reason=spec["reason"], on=on + 5 * DAY)
    b.failed_team = team


PLANS = {
    "intake": _intake,
    "review": _review,
    "drafting": _drafting,
    "approval": _approval,
    "rejected": _rejected,
    "open": _open,
    "assessment_open": _assessment_open,
    "assessment_scored": _assessment_scored,
    "assessment_finalised": _assessment_finalised,
    "assessment_none": _assessment_none,
    "notice": _notice,
    "contracting": _contracting,
    "race_eliminated": _race_eliminated,
    "race_merged": _race_merged,
    "single_payable": _single_payable,
    "single_reported": _single_reported,
    "accepted_race": _accepted_race,
    "accepted": _accepted_plain,
    "accepted_unpublished": _accepted_unpublished,
    "closed_empty": _closed_empty,
    "closed_failed": _closed_failed,
}


# ---------------------------------------------------------------- batches, subsidies, claw-backs


def _batch(b: Builder, title: str, tranches, subsidies=(), approve_on=None, paid_on=None, refuse: str = ""):
    n = 2
    base = title
    while title in b.titles:
        title, n = f"{base}（{'二三四五六七八九'[n - 2]}）", n + 1
    b.titles.add(title)
    batch = services.create_batch(user=b.staff, pool=b.pool_obj, title=title)
    for t in tranches:
        t.refresh_from_db()
        if t.left > 0:
            services.add_tranche_payment(user=b.staff, batch=batch, tranche=t)
    for s in subsidies:
        services.add_subsidy_payment(user=b.staff, batch=batch, subsidy=s)
    if refuse:
        services.refuse_batch(user=b.admin, batch_id=batch.pk, reason=refuse)
    elif approve_on:
        services.approve_batch(user=b.admin, batch_id=batch.pk, on=approve_on)
        if paid_on:
            services.mark_paid(user=b.staff, batch_id=batch.pk, on=paid_on)
    return batch


def _pay(b: Builder, T: dt.date, items, subsidies=(), treasury_paid_latest: bool = True) -> list:
    """常态化征集、集中兑现: what became payable in a quarter is paid in that quarter's batch (approved a week after
    the last item, paid by the treasury five days later, except the latest one when `treasury_paid_latest` is
    false: approved, awaiting the treasury); what is due after today is left in the returned list."""
    groups: dict[tuple, dict] = {}
    future = []
    for on, item in [*items, *subsidies]:
        if on > T - 3 * DAY:
            future.append(item)
            continue
        group = groups.setdefault((on.year, (on.month - 1) // 3), {"last": on, "tranches": [], "subsidies": []})
        group["last"] = max(group["last"], on)
        group["subsidies" if isinstance(item, Subsidy) else "tranches"].append(item)
    keys = sorted(groups)
    for (year, quarter), group in sorted(groups.items()):
        approve = min(group["last"] + 7 * DAY, T - 3 * DAY)
        latest = (year, quarter) == keys[-1] and not treasury_paid_latest
        _batch(
            b,
            f"{year}年第{'一二三四'[quarter]}季度 揭榜挂帅资金拨付",
            group["tranches"],
            group["subsidies"],
            approve_on=approve,
            paid_on=None if latest else approve + 5 * DAY,
        )
    return future


def _money(b: Builder, T: dt.date) -> None:
    """Later tranches and subsidies in their quarters' batches; one refused batch; what falls due after today in
    a draft batch made by bureau_staff, for the bureau admin to approve in the demo; claw-backs."""
    subsidies = [(s.computed_on, s) for s in Subsidy.objects.order_by("pk")]
    future = _pay(b, T, b.take_payable(), subsidies[:-1], treasury_paid_latest=False)
    tranches = [x for x in future if isinstance(x, Tranche)]
    if tranches:
        _batch(
            b, "揭榜挂帅资金拨付（退回重组）", tranches[:1], refuse="收款账户户名与合同签约单位不一致，请核实后重新组批"
        )
    _batch(b, "揭榜挂帅资金拨付（待审批）", tranches, [s for _on, s in subsidies[-1:]])
    dropped = getattr(b, "clawback", None)
    if dropped is not None:
        c = services.flag_clawback(
            user=b.staff, team=dropped, amount=Decimal("20"), reason="赛马淘汰后结余经费按合同退回"
        )
        services.resolve_clawback(user=b.admin, clawback_id=c.pk, status="recovered", on=T - 60 * DAY)
    failed = getattr(b, "failed_team", None)
    if failed is not None:
        services.flag_clawback(
            user=b.staff, team=failed, amount=Decimal("15"), reason="验收未通过，按合同约定追回未使用的设备购置费"
        )


def _capabilities(b: Builder) -> None:
    """双向发布: what the solver institutions and firm offer, on the public capability list."""
    for user in b.leads:
        for title, field, text in b.cfg["capabilities"].get(str(user.organisation or "企业"), []):
            services.publish_capability(
                user=user,
                title=title,
                field=field,
                description=text,
                contact=f"成果转化办公室 0351-{b.rng.randrange(10**7):07d}",
            )


def demo_links(base: str = "http://127.0.0.1:8000") -> list[str]:
    """Review links of the experts on panels still scoring (printed after the demo build)."""
    from kechuang.challenges import tokens
    from kechuang.challenges.models import PanelMember

    today = timezone.localdate()
    members = (
        PanelMember.objects.filter(
            active=True,
            panel__deadline__gte=today,
            panel__challenge__stage="assessment",
            panel__challenge__review_finalised_on__isnull=True,
        )
        .select_related("expert", "panel__challenge")
        .order_by("panel__challenge__code", "pk")[:3]
    )
    return [f"{m.expert.name}（{m.panel.challenge.title}）：{base}{tokens.link_for(m)}" for m in members]
