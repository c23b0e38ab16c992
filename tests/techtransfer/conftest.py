"""Technology-contract fixtures on the shared `world`: valid seller/buyer codes and a contract recorder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import make_uscc

SELLER, BUYER = make_uscc(11), make_uscc(12, region="140702")


def contract_data(no: str = "JZ-001", **kw) -> dict:
    return {
        "contract_no": no,
        "project": "锂电池隔膜中试工艺开发",
        "type": "development",
        "seller_name": "山西大学",
        "seller_uscc": SELLER,
        "seller_region": "140105",
        "buyer_name": "晋中某新材料有限公司",
        "buyer_uscc": BUYER,
        "buyer_country": "",
        "buyer_region": "140702",
        "signed_on": dt.date(2026, 6, 1),
        "valid_to": dt.date(2027, 5, 31),
        "total_amount": Decimal("120"),
        "non_tech_amount": Decimal("20"),
        "written": True,
        **kw,
    }


@pytest.fixture
def record(world):
    from kechuang.techtransfer import services

    def make(no: str = "JZ-001", user: str = "institution_user", on=dt.date(2026, 6, 30), **kw):
        return services.record(user=world["users"][user], data=contract_data(no, **kw), on=on)

    return make


@pytest.fixture
def supply(world):
    """Two institutions (山西大学 kept by the world's institution user, 太原理工大学 by nobody), a chain, three
    achievements, a manager with and one without phone consent, and needs of firms a and b."""
    from kechuang.accounts.models import Organisation
    from kechuang.chains.models import Chain
    from kechuang.techtransfer.models import Achievement, Institution, Need, Person, TechnologyManager

    sxu = Institution.objects.create(
        name="山西大学", kind="university", region_id="140105", organisation=Organisation.objects.get(name="山西大学")
    )
    tyut = Institution.objects.create(name="太原理工大学", kind="university", region_id="140109")
    chain = Chain.objects.create(code="battery", name="新能源电池")
    open_manager = TechnologyManager.objects.create(
        name="王经理", institution=sxu, phone="13800000001", phone_shown=True
    )
    quiet = TechnologyManager.objects.create(name="李经理", institution=tyut, phone="13800000002")
    Person.objects.create(institution=tyut, name="赵教授", contact="zhao@tyut.example", profile_shown=True)
    Person.objects.create(institution=tyut, name="钱教授", contact="qian@tyut.example")
    patent = Achievement.objects.create(
        institution=sxu,
        kind="patent",
        title="一种锂离子电池隔膜的涂覆方法",
        summary="陶瓷涂覆隔膜，提高电池热稳定性",
        field="materials",
        chain=chain,
        ipc=["H01M"],
        patent_no="CN112345678A",
        holder="山西大学",
        legal_status="granted",
        trl=5,
        modes=["transfer", "licence"],
        price_min=Decimal("50"),
        price_max=Decimal("80"),
        manager=open_manager,
    )
    result = Achievement.objects.create(
        institution=tyut,
        kind="result",
        title="煤矸石制备陶瓷材料技术",
        summary="以煤矸石为原料烧结陶瓷",
        field="environment",
        ipc=["C04B"],
        trl=6,
        modes=["joint"],
        manager=quiet,
    )
    know_how = Achievement.objects.create(
        institution=tyut,
        kind="know_how",
        title="动力电池热失控预警算法",
        summary="电池管理系统的热失控早期预警",
        field="electronics",
        chain=chain,
        ipc=["H01M", "G01R"],
        trl=4,
    )
    need_a = Need.objects.create(
        enterprise=world["a"],
        title="动力电池隔膜耐热改进",
        summary="寻求提高锂电池隔膜耐热性的技术",
        detail="现有隔膜在130度收缩率超过5%，配方为A-17",
        field="materials",
        chain=chain,
        budget_min=Decimal("30"),
        budget_max=Decimal("100"),
    )
    need_b = Need.objects.create(
        enterprise=world["b"], title="固废综合利用", summary="煤矸石制建材", detail="年产20万吨的秘密工艺参数"
    )
    return {
        "sxu": sxu,
        "tyut": tyut,
        "chain": chain,
        "patent": patent,
        "result": result,
        "know_how": know_how,
        "need_a": need_a,
        "need_b": need_b,
        "open_manager": open_manager,
        "quiet_manager": quiet,
    }


@pytest.fixture
def pipeline(world, supply, record):
    """Four cases and three match feedbacks on `supply`:
    1. need_a × patent (山西大学, 新材料): walked to 转化 by 王经理, contract JZ-100 registered (技术交易额 100万);
    2. need_b × result (太原理工大学, 资源与环境): introduced, 李经理 assigned, then terminated;
    3. need_a × know_how (太原理工大学, 电子信息, no manager): only matched;
    4. firm b's patent to firm a (先进制造与自动化): introduced, 王经理 assigned, in 洽谈;
    pinned need_b × patent (no case), pinned need_a × patent (case 1: counted once), dismissed need_b × know_how."""
    from kechuang.techtransfer import brokerservices as svc
    from kechuang.techtransfer import services
    from kechuang.techtransfer.models import MatchFeedback

    staff, d = world["users"]["bureau_staff"], dt.date
    wang, li = supply["open_manager"], supply["quiet_manager"]

    def intro(case, on):
        return svc.advance(user=staff, case=case, stage="introduced", on=on, buyer_consent_on=on, seller_consent_on=on)

    one = svc.open_case(
        user=staff, on=d(2026, 3, 1), enterprise=world["a"], need=supply["need_a"], achievement=supply["patent"]
    )
    one = intro(one, d(2026, 3, 5))
    one = svc.advance(user=staff, case=one, stage="assigned", on=d(2026, 3, 6), manager=wang)
    one = svc.advance(user=staff, case=one, stage="negotiating", on=d(2026, 3, 10), meeting_notes="首次洽谈")
    one = svc.advance(user=staff, case=one, stage="signed", on=d(2026, 4, 1))
    contract = services.decide(
        user=staff, contract=record("JZ-100", on=d(2026, 4, 10), signed_on=d(2026, 4, 1)), on=d(2026, 4, 15)
    )
    one = svc.advance(user=staff, case=one, stage="registered", on=d(2026, 4, 20), contract=contract)
    one = svc.advance(user=staff, case=one, stage="converted", on=d(2026, 6, 1))
    two = svc.open_case(
        user=staff, on=d(2026, 3, 1), enterprise=world["b"], need=supply["need_b"], achievement=supply["result"]
    )
    two = intro(two, d(2026, 3, 2))
    two = svc.advance(user=staff, case=two, stage="assigned", on=d(2026, 3, 3), manager=li)
    two = svc.terminate(user=staff, case=two, on=d(2026, 3, 20), reason="报价超出预算")
    three = svc.open_case(
        user=staff, on=d(2026, 3, 1), enterprise=world["a"], need=supply["need_a"], achievement=supply["know_how"]
    )
    four = svc.open_case(
        user=staff,
        on=d(2026, 5, 1),
        enterprise=world["a"],
        kind="patent",
        seller_enterprise=world["b"],
        patent_no="CN110000001B",
        patent_title="一种耐磨涂层的制备方法",
        field="manufacturing",
    )
    four = intro(four, d(2026, 5, 2))
    four = svc.advance(user=staff, case=four, stage="assigned", on=d(2026, 5, 3), manager=wang)
    four = svc.advance(user=staff, case=four, stage="negotiating", on=d(2026, 5, 9), meeting_notes="现场看样")
    MatchFeedback.objects.create(need=supply["need_b"], achievement=supply["patent"], action="pin", by=staff)
    MatchFeedback.objects.create(need=supply["need_a"], achievement=supply["patent"], action="pin", by=staff)
    MatchFeedback.objects.create(need=supply["need_b"], achievement=supply["know_how"], action="dismiss", by=staff)
    return {"one": one, "two": two, "three": three, "four": four, "contract": contract}
