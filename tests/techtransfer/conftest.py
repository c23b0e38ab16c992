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
