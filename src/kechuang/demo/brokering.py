"""The demo region's brokering, at the seeds' scale: ~200 cases from the needs and achievements in every stage
(105 converted, some terminated with a reason), two patents brokered from one firm to another, and 10
matchmaking events (对接会, 路演) with attendees and the cases opened there.

A registered or converted case links a registered contract of the demo's contract register whose buyer is a
firm of the registry (that firm is the case's firm), so the managers' 技术交易额 are the register's. The demo firm
(enterprise_user) has a case in 洽谈 on its first need's pinned match, handled by a technology manager of
山西大学, so the demo's institution user may move it too. A case or pin pairs a need with one of its best
matches by the matcher, and a contract's case names the seller's achievement its project reads most like.
Drawn from the seed, dated relative to the build date, bulk-created, one audit event.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from kechuang.accounts.models import Organisation, User
from kechuang.core import audit
from kechuang.enterprises.models import Enterprise
from kechuang.techtransfer import supplymatching
from kechuang.techtransfer.brokering import STAGES, BrokerCase, CaseMeeting, MatchmakingEvent, Stage
from kechuang.techtransfer.models import Achievement, Institution, MatchFeedback, Need, TechContract, TechnologyManager

# Cases per final stage (200 in all; 105 conversions as the seeds' year). The first two converted are patents
# brokered between firms.
PLAN = {
    Stage.MATCHED: 12,
    Stage.INTRODUCED: 10,
    Stage.ASSIGNED: 8,
    Stage.NEGOTIATING: 18,
    Stage.SIGNED: 12,
    Stage.REGISTERED: 15,
    Stage.CONVERTED: 105,
    Stage.TERMINATED: 20,
}
PATENTS = (
    ("CN108765432B", "一种高强度铝合金型材的挤压成型方法", "轨道交通车体型材"),
    ("CN110456789B", "一种煤基碳纤维原丝的纺丝工艺", "碳纤维复合材料制品"),
)
EVENTS = 10
PLACES = ("晋创谷·太原", "山西转型综改示范区科创城", "山西大学科技园", "太原理工大学科技园", "中北大学会议中心")
EVENT_TOPICS = ("新材料", "高端装备", "节能环保", "生物医药", "数字经济", "新能源")
FROM_EVENT_SHARE = 0.3
CONVERTED_WITHIN = dt.timedelta(days=120)  # a conversion follows the registration within this many days
PINNED = 40  # staff-pinned matches that no case took up
# A case or pin pairs a need with one of its best matches, as staff would take them from the need's page.
BEST = 5
# How deep the matcher's ranking is read for a contract's project within its seller's achievements.
CONTRACT_DEPTH = 500
REASONS = ("报价超出企业预算", "企业转向自主研发", "成果成熟度不足，中试条件不具备", "双方对知识产权归属未达成一致")
ORDER = [s for s, _f in STAGES]


def _days(rng, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=int(rng.integers(low, high)))


def build(region, progress=print, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    rng = np.random.default_rng(region.seed + 29)
    progress("生成对接案件、技术经理人业绩与对接活动……")
    with transaction.atomic():
        b = _Builder(rng, today)
        events = b.events()
        cases = b.cases(events)
        audit.record(
            actor=None,
            action="demo.build",
            obj=Organisation.objects.filter(kind=Organisation.Kind.BUREAU).order_by("pk").first(),
            note=f"生成对接转化演示数据：{len(cases)} 个对接案件、{len(events)} 场对接活动",
        )
    return {"broker_cases": len(cases), "matchmaking_events": len(events)}


class _Builder:
    def __init__(self, rng, today: dt.date):
        self.rng, self.today = rng, today
        self.staff = User.objects.filter(role="bureau_staff").order_by("pk").first()
        self.needs = list(Need.objects.order_by("pk"))
        self.achievements = list(Achievement.objects.select_related("institution").order_by("pk"))
        self.by_pk = {a.pk: a for a in self.achievements}
        self.institutions = dict(Institution.objects.values_list("name", "pk"))
        self.best: dict[int, list] = {}
        self.managers = list(TechnologyManager.objects.order_by("pk"))
        self.by_institution: dict[int, list] = {}
        for m in self.managers:
            self.by_institution.setdefault(m.institution_id, []).append(m)
        self.by_field: dict[str, list] = {}
        for a in self.achievements:
            self.by_field.setdefault(a.field, []).append(a)
        self.firm_needs: dict[int, list] = {}
        for n in self.needs:
            self.firm_needs.setdefault(n.enterprise_id, []).append(n)
        self.taken: set = set()
        self.patents = 0  # patents brokered between firms so far

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def matches(self, need: Need) -> list[Achievement]:
        """The need's best achievements by the matcher (the ranking its page shows, before staff feedback); of its
        field when the matcher finds nothing."""
        if need.pk not in self.best:
            hits = supplymatching.ranked(supplymatching.need_text(need), BEST)
            found = [self.by_pk[pk] for pk, _score, _reason in hits if pk in self.by_pk]
            self.best[need.pk] = found or self.by_field.get(need.field) or self.achievements
        return self.best[need.pk]

    def paired(self) -> tuple[Need, Achievement] | None:
        """A need and one of its best matches, not paired yet."""
        for _ in range(20):
            need = self.pick(self.needs)
            achievement = self.pick(self.matches(need))
            if (need.pk, achievement.pk) not in self.taken:
                return need, achievement
        return None

    def events(self) -> list[MatchmakingEvent]:
        rows = []
        for i in range(EVENTS):
            kind = MatchmakingEvent.Kind.ROADSHOW if i % 3 == 2 else MatchmakingEvent.Kind.MATCHMAKING
            topic = EVENT_TOPICS[i % len(EVENT_TOPICS)]
            rows.append(
                MatchmakingEvent(
                    title=f"{topic}{'成果路演' if kind == 'roadshow' else '产学研对接会'}（第 {i + 1} 期）",
                    kind=kind,
                    held_on=self.today - dt.timedelta(days=60 + 65 * (EVENTS - 1 - i)),
                    place=self.pick(PLACES),
                    notes=f"{topic}领域企业发布技术需求，高校院所推介科技成果。",
                    created_by=self.staff,
                )
            )
        MatchmakingEvent.objects.bulk_create(rows)
        events = list(MatchmakingEvent.objects.order_by("held_on", "pk"))
        firms = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True)[:2000])
        institutions = list(Institution.objects.values_list("pk", flat=True))
        ef, ei = MatchmakingEvent.enterprises.through, MatchmakingEvent.institutions.through
        firm_rows, inst_rows = [], []
        for ev in events:
            for pk in {self.pick(firms) for _ in range(int(self.rng.integers(12, 30)))}:
                firm_rows.append(ef(matchmakingevent_id=ev.pk, enterprise_id=pk))
            for pk in {self.pick(institutions) for _ in range(int(self.rng.integers(3, 7)))}:
                inst_rows.append(ei(matchmakingevent_id=ev.pk, institution_id=pk))
        ef.objects.bulk_create(firm_rows)
        ei.objects.bulk_create(inst_rows)
        return events

    def cases(self, events) -> list[BrokerCase]:
        contracts = self._contracts(PLAN[Stage.REGISTERED] + PLAN[Stage.CONVERTED])
        cases = [self._own_case()]
        for stage, n in PLAN.items():
            for _ in range(n - (stage == Stage.NEGOTIATING and cases[0] is not None)):
                with_contract = stage in (Stage.REGISTERED, Stage.CONVERTED) and contracts
                case = self._contract_case(contracts.pop(), stage) if with_contract else self._match_case(stage)
                if case is not None:
                    cases.append(case)
        cases = [c for c in cases if c is not None]
        for c in cases:
            earlier = [e for e in events if e.held_on <= c.opened_on]
            if earlier and self.rng.random() < FROM_EVENT_SHARE:
                c.event = earlier[-1]
        BrokerCase.objects.bulk_create(cases)
        self._attend(cases)
        self._meetings(cases)
        self._pins()
        return cases

    def _contracts(self, n: int) -> list[TechContract]:
        """Registered contracts bought by registry firms, decided long enough ago for the conversion to follow
        (CONVERTED_WITHIN days), drawn at random."""
        firms = set(Enterprise.objects.values_list("uscc", flat=True))
        found = TechContract.objects.filter(
            status=TechContract.Status.REGISTERED, decided_on__lte=self.today - CONVERTED_WITHIN
        ).order_by("pk")
        pool = [
            c for c in found.only("pk", "buyer_uscc", "seller_name", "signed_on", "decided_on") if c.buyer_uscc in firms
        ]
        picked = self.rng.choice(len(pool), size=min(n, len(pool)), replace=False) if pool else []
        return [pool[int(i)] for i in picked]

    def _pins(self) -> None:
        """Staff pinned more matches than became cases: the funnel's first step is wider than the cases."""
        self.taken |= set(MatchFeedback.objects.values_list("need_id", "achievement_id"))
        rows = []
        for _ in range(PINNED):
            pair = self.paired()
            if pair is not None:
                self.taken.add((pair[0].pk, pair[1].pk))
                rows.append(MatchFeedback(need=pair[0], achievement=pair[1], action="pin", by=self.staff))
        MatchFeedback.objects.bulk_create(rows)

    def _dates(self, case: BrokerCase, stage: str, end: dt.date | None = None) -> None:
        """Stage dates up to `stage`, a few days to weeks apart, ending by `end` (today)."""
        last = ORDER.index(stage if stage != Stage.TERMINATED else self.pick(ORDER[:5]))
        gaps = [self.rng.integers(3, 30) for _ in range(last + 2)]
        start = (end or self.today) - dt.timedelta(days=int(sum(gaps)) + int(self.rng.integers(0, 200)))
        on = start
        for i, (_s, field) in enumerate(STAGES[: last + 1]):
            on = on + dt.timedelta(days=int(gaps[i])) if i else on
            setattr(case, field, on)
        case.stage = ORDER[last]
        if stage == Stage.TERMINATED:
            case.stage, case.terminated_on = Stage.TERMINATED, on + dt.timedelta(days=int(gaps[-1]))
            case.termination_reason = self.pick(REASONS)
        self._consents(case)

    def _consents(self, case: BrokerCase) -> None:
        if case.introduced_on:
            span = max((case.introduced_on - case.opened_on).days, 0)
            case.buyer_consent_on = case.opened_on + dt.timedelta(days=int(self.rng.integers(0, span + 1)))
            case.seller_consent_on = case.opened_on + dt.timedelta(days=int(self.rng.integers(0, span + 1)))

    def _manager(self, case: BrokerCase):
        if case.assigned_on is None:
            return None
        a = case.achievement
        if a is not None and a.manager_id:
            return a.manager
        return self.pick(self.by_institution.get(case.institution_id) or self.managers)

    def _match_case(self, stage: str) -> BrokerCase | None:
        pair = self.paired()
        if pair is None:
            return None
        need, achievement = pair
        self.taken.add((need.pk, achievement.pk))
        case = BrokerCase(
            enterprise_id=need.enterprise_id,
            need=need,
            achievement=achievement,
            institution_id=achievement.institution_id,
            field=achievement.field or need.field,
            opened_by=self.staff,
        )
        self._dates(case, stage)
        case.manager = self._manager(case)
        return case

    def _contract_case(self, contract: TechContract, stage: str) -> BrokerCase | None:
        """A case that reached 登记 on `contract` (its buyer the case's firm, its signing and decision the case's)."""
        firm = Enterprise.objects.only("pk").get(uscc=contract.buyer_uscc)
        case = BrokerCase(enterprise=firm, contract=contract, opened_by=self.staff, stage=stage)
        if self.patents < len(PATENTS) and stage == Stage.CONVERTED:
            no, title, product = PATENTS[self.patents]
            self.patents += 1
            sellers = Enterprise.objects.exclude(pk=firm.pk).order_by("pk").values_list("pk", flat=True)[:500]
            seller = self.pick(list(sellers))
            case.kind, case.seller_enterprise_id = BrokerCase.Kind.PATENT, seller
            case.patent_no, case.patent_title, case.product, case.field = no, title, product, "materials"
        else:
            case.achievement = self._contracted(contract)
            case.institution_id, case.field = case.achievement.institution_id, case.achievement.field
            # The firm's need is the case's only where the contracted achievement is one of its best matches.
            for need in self.firm_needs.get(firm.pk) or []:
                if case.achievement in self.matches(need) and (need.pk, case.achievement.pk) not in self.taken:
                    case.need = need
                    self.taken.add((need.pk, case.achievement.pk))
                    break
        case.signed_on, case.registered_on = contract.signed_on, max(contract.decided_on, contract.signed_on)
        case.negotiating_on = case.signed_on - _days(self.rng, 5, 40)
        case.assigned_on = case.negotiating_on - _days(self.rng, 1, 15)
        case.introduced_on = case.assigned_on - _days(self.rng, 1, 10)
        case.opened_on = case.introduced_on - _days(self.rng, 3, 30)
        converted = case.registered_on + _days(self.rng, 10, CONVERTED_WITHIN.days)
        if stage == Stage.CONVERTED and converted <= self.today:
            case.converted_on = converted
        else:
            case.stage = Stage.REGISTERED
        self._consents(case)
        case.manager = self._manager(case)
        return case

    def _contracted(self, contract: TechContract) -> Achievement:
        """The seller's achievement the contract's project reads most like (any of the seller's when none shares
        a word with it; any achievement when the seller has none on file)."""
        seller = self.institutions.get(contract.seller_name)
        pool = [a for a in self.achievements if a.institution_id == seller]
        if not pool:
            return self.pick(self.achievements)
        mine = {a.pk for a in pool}
        hits = supplymatching.ranked(contract.project, CONTRACT_DEPTH)
        best = next((pk for pk, _score, _reason in hits if pk in mine), None)
        return self.by_pk[best] if best is not None else self.pick(pool)

    def _own_case(self) -> BrokerCase | None:
        """The demo firm's first need × its pinned match, in 洽谈 with a manager of 山西大学."""
        pin = (
            MatchFeedback.objects.filter(action="pin", need__enterprise__users__username="enterprise_user")
            .select_related("need", "achievement")
            .first()
        )
        sxu = Institution.objects.filter(organisation__users__username="institution_user").first()
        if pin is None or sxu is None or not self.by_institution.get(sxu.pk):
            return None
        self.taken.add((pin.need_id, pin.achievement_id))
        case = BrokerCase(
            enterprise_id=pin.need.enterprise_id,
            need=pin.need,
            achievement=pin.achievement,
            institution_id=pin.achievement.institution_id,
            field=pin.achievement.field or pin.need.field,
            opened_by=self.staff,
        )
        self._dates(case, Stage.NEGOTIATING, end=self.today - dt.timedelta(days=3))
        case.manager = self.by_institution[sxu.pk][0]
        return case

    def _attend(self, cases) -> None:
        """A case opened at an event: its firm and institution attended."""
        ef, ei = MatchmakingEvent.enterprises.through, MatchmakingEvent.institutions.through
        firms = {(c.event_id, c.enterprise_id) for c in cases if c.event_id}
        firms |= {(c.event_id, c.seller_enterprise_id) for c in cases if c.event_id and c.seller_enterprise_id}
        insts = {(c.event_id, c.institution_id) for c in cases if c.event_id and c.institution_id}
        ef.objects.bulk_create([ef(matchmakingevent_id=e, enterprise_id=f) for e, f in firms], ignore_conflicts=True)
        ei.objects.bulk_create([ei(matchmakingevent_id=e, institution_id=i) for e, i in insts], ignore_conflicts=True)

    def _meetings(self, cases) -> None:
        rows = []
        for c in cases:
            if c.negotiating_on is None:
                continue
            end = c.signed_on or c.terminated_on or self.today
            n = int(self.rng.integers(1, 4))
            for i in range(n):
                on = min(c.negotiating_on + dt.timedelta(days=7 * i), end)
                notes = (
                    "首次洽谈：介绍技术方案与转化方式",
                    "第二次洽谈：商谈价格与付款方式",
                    "第三次洽谈：确定合同条款",
                )[i]
                rows.append(CaseMeeting(case=c, held_on=on, notes=notes, recorded_by=self.staff))
        CaseMeeting.objects.bulk_create(rows)
