"""Firms for an achievement (kechuang.engine.techtransfer.firms): exact orders, scores and reasons from plain facts."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kechuang.engine.techtransfer.firms import Firm, FirmHit, Offer, Weights, products_matcher, rank_firms
from kechuang.engine.techtransfer.matching import Hit

OFFER = Offer(
    field="新材料",
    chain="新能源电池",
    segment=2,
    segment_name="隔膜",
    downstream={3: "电芯制造", 4: "电池包"},
    region="140105",
    region_name="小店区",
    city_name="太原市",
)
CHAIN = frozenset({"新能源电池"})

FIRMS = [
    # On the segment, same field, 6 % R&D, four contracts (three counted), same district.
    Firm(
        "A",
        field="新材料",
        chains=CHAIN,
        segments=frozenset({2}),
        region="140105",
        year=2025,
        rd_expense=D(60),
        revenue=D(1000),
        contracts=4,
        contract_amount=D("150.5"),
    ),
    # Downstream, 2 % R&D, same city.
    Firm("B", chains=CHAIN, segments=frozenset({3, 4}), region="140106", year=2025, rd_expense=D(20), revenue=D(1000)),
    # Elsewhere on the chain, another field, another city, no figures.
    Firm("C", field="电子信息", chains=CHAIN, segments=frozenset({9}), region="140702"),
    # The field only; R&D without revenue.
    Firm("D", field="新材料", year=2024, rd_expense=D(5), revenue=D(0)),
    # Capacity without any tie: never a candidate.
    Firm("E", region="140105", year=2025, rd_expense=D(500), revenue=D(1000), contracts=9, contract_amount=D(900)),
    # Products only (the matcher's hit), R&D exactly on the 3 % band.
    Firm("F", year=2025, rd_expense=D(30), revenue=D(1000)),
    # Exactly on the 5 % band, and ties with G2 on the score: the id decides.
    Firm("G2", field="新材料", year=2025, rd_expense=D(50), revenue=D(1000)),
    Firm("G1", field="新材料", year=2025, rd_expense=D(50), revenue=D(1000)),
]
PRODUCTS = {"F": Hit("F", 0.75, "共同词：隔膜"), "E": Hit("E", 0.0, ""), "C": Hit("C", 1.6, "共同词：电池")}


def _plain(hits):
    return [FirmHit(h.id, h.score, h.reason) for h in hits]


def test_ranking_scores_and_reasons():
    assert _plain(rank_firms(OFFER, FIRMS, PRODUCTS)) == [
        FirmHit(
            "A",
            3.4,
            "同一技术领域：新材料；处于成果所在环节：隔膜；研发投入强度 6.00%（2025 年）；"
            "曾作为买方登记技术合同 4 项（技术交易额 150.50 万元）；与成果所属机构同在小店区",
        ),
        FirmHit("C", 1.5, "同一产业链：新能源电池；主营产品相关（共同词：电池）"),
        FirmHit("G1", 1.5, "同一技术领域：新材料；研发投入强度 5.00%（2025 年）"),
        FirmHit("G2", 1.5, "同一技术领域：新材料；研发投入强度 5.00%（2025 年）"),
        FirmHit("D", 1.1, "同一技术领域：新材料；有研发投入 5.00 万元（2024 年）"),
        FirmHit("B", 1.05, "位于下游环节：电芯制造、电池包；研发投入强度 2.00%（2025 年）；与成果所属机构同在太原市"),
        FirmHit("F", 1.05, "主营产品相关（共同词：隔膜）；研发投入强度 3.00%（2025 年）"),
    ]


@pytest.mark.parametrize(
    ("top", "ids"), [(0, []), (1, ["A"]), (3, ["A", "C", "G1"]), (20, ["A", "C", "G1", "G2", "D", "B", "F"])]
)
def test_top(top, ids):
    assert [h.id for h in rank_firms(OFFER, FIRMS, PRODUCTS, top=top)] == ids


def test_an_offer_without_field_chain_or_words_ranks_nobody():
    assert rank_firms(Offer(), FIRMS) == []


def test_weights_are_the_callers():
    light = Weights(field=0.1, rd_bands=((D(0), 0.0),))
    assert _plain(rank_firms(OFFER, [FIRMS[3]], weights=light)) == [
        FirmHit("D", 0.1, "同一技术领域：新材料；有研发投入 5.00 万元（2024 年）")
    ]


def test_products_through_the_text_matcher():
    matcher = products_matcher({"F1": "锂电池隔膜、涂覆隔膜生产销售", "F2": "离心泵、化工流程泵", "F3": "  "})
    hits = {h.id: h for h in matcher.search("一种锂离子电池隔膜的涂覆方法 陶瓷涂覆隔膜，提高电池热稳定性")}
    assert list(hits) == ["F1"]
    firms = [Firm("F1"), Firm("F2")]
    assert _plain(rank_firms(Offer(), firms, hits)) == [FirmHit("F1", 1.0, "主营产品相关（共同词：涂覆、隔膜）")]


def test_the_reason_without_the_firms_own_figures():
    best = rank_firms(OFFER, FIRMS, PRODUCTS, top=1)[0]
    assert best.ties == "同一技术领域：新材料；处于成果所在环节：隔膜"
