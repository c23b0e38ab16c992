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
