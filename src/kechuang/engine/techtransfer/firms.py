"""Firms likely to use an achievement: ranked from plain facts, each with its reason in Chinese.

A firm is a candidate when something ties it to the achievement's technology: the same 高新技术领域, a place on the
achievement's industrial chain, or products that share words with the achievement (the text matcher's hit over the
firms' product descriptions, `products_matcher`). Among the candidates the firm's capacity and habit to take up a
technology add to the score: its R&D intensity in its latest year, technology contracts it registered as a buyer,
and being near the institution. Capacity alone never makes a candidate: most firms spend on R&D, and a list of
every firm that does would tell staff nothing.

score = field + chain position (the best of: on the achievement's segment, on a segment it supplies, on the chain)
        + products × the matcher's score (capped at 1) + R&D (by intensity band) + contracts (per contract, capped)
        + region (same district, else same city).
The weights are `Weights` (ranking weights, not policy thresholds: they decide an order, never an entitlement).
Ties are broken by the firm's id, so the same facts always give the same ranking.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from kechuang.engine.numbers import money_text
from kechuang.engine.rounding import half_up_value
from kechuang.engine.techtransfer.matching import Document, Hit, Matcher

SCORE_DIGITS = 4
CITY_CHARS = 4  # GB/T 2260: the first four digits name the city


@dataclass(frozen=True)
class Offer:
    """The achievement, as the ranking reads it. Names are given for the reasons."""

    field: str = ""  # 技术领域, the label the firms' field is given in (新材料)
    chain: str = ""  # its industrial chain's name
    segment: int | None = None  # its segment on that chain, and the segments it supplies (id → name)
    segment_name: str = ""
    downstream: Mapping[int, str] = dataclasses.field(default_factory=dict)
    region: str = ""  # the institution's district code and the names of district and city
    region_name: str = ""
    city_name: str = ""


@dataclass(frozen=True)
class Firm:
    id: str
    field: str = ""  # 国家重点支持的高新技术领域, as a label
    chains: frozenset[str] = frozenset()  # chains the firm is placed on (names)
    segments: frozenset[int] = frozenset()  # segments it is placed on
    region: str = ""
    year: int | None = None  # its latest year of figures, with that year's R&D expense and revenue (万元)
    rd_expense: Decimal | None = None
    revenue: Decimal | None = None
    contracts: int = 0  # registered technology contracts it bought, and their technology amount (万元)
    contract_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class FirmHit:
    id: str
    score: float
    reason: str
    # The reason without the firm's own figures (R&D, contracts): what a reader outside the bureau is shown.
    ties: str = ""


@dataclass(frozen=True)
class Weights:
    field: float = 1.0
    segment: float = 1.0  # on the achievement's own segment: makes what it improves
    downstream: float = 0.8  # on a segment the achievement's segment supplies: a user of its output
    chain: float = 0.5  # elsewhere on the chain
    products: float = 1.0  # times the matcher's score over product texts (capped at 1)
    rd_bands: tuple[tuple[Decimal, float], ...] = ((Decimal("0.05"), 0.5), (Decimal("0.03"), 0.3), (Decimal(0), 0.1))
    contract: float = 0.2  # per registered contract as a buyer
    contracts_counted: int = 3
    district: float = 0.3
    city: float = 0.15


WEIGHTS = Weights()


def products_matcher(products: Mapping[str, str]) -> Matcher:
    """The text matcher over the firms' product descriptions (firm id → text), built once per set of firms."""
    return Matcher(Document(firm, text) for firm, text in sorted(products.items()) if text.strip())


def rank_firms(
    offer: Offer,
    firms: Iterable[Firm],
    products: Mapping[str, Hit] | None = None,
    top: int = 20,
    weights: Weights = WEIGHTS,
) -> list[FirmHit]:
    """The best `top` firms for the offer, best first. `products`: firm id → the matcher's hit for the
    achievement's text over the firms' products (`products_matcher(...).search(text)`)."""
    products = products or {}
    scored = []
    for firm in firms:
        ties = _ties(offer, firm, products.get(firm.id), weights)
        if not ties:
            continue
        parts = ties + _capacity(offer, firm, weights)
        score = half_up_value(sum(value for value, _text in parts), SCORE_DIGITS)
        scored.append(
            FirmHit(firm.id, score, "；".join(text for _value, text in parts), "；".join(text for _value, text in ties))
        )
    scored.sort(key=lambda h: (-h.score, h.id))
    return scored[: max(top, 0)]


def _ties(offer: Offer, firm: Firm, hit: Hit | None, w: Weights) -> list[tuple[float, str]]:
    """What ties the firm to the technology: field, chain position, products."""
    parts = []
    if offer.field and firm.field == offer.field:
        parts.append((w.field, f"同一技术领域：{offer.field}"))
    if offer.segment is not None and offer.segment in firm.segments:
        parts.append((w.segment, f"处于成果所在环节：{offer.segment_name}"))
    elif below := sorted(s for s in offer.downstream if s in firm.segments):
        parts.append((w.downstream, f"位于下游环节：{'、'.join(offer.downstream[s] for s in below)}"))
    elif offer.chain and offer.chain in firm.chains:
        parts.append((w.chain, f"同一产业链：{offer.chain}"))
    if hit is not None and hit.score > 0:
        parts.append((w.products * min(hit.score, 1.0), f"主营产品相关（{hit.reason}）"))
    return parts


def _capacity(offer: Offer, firm: Firm, w: Weights) -> list[tuple[float, str]]:
    """What makes a tied firm likely to take the technology up: R&D, past contracts as a buyer, nearness."""
    parts = []
    if firm.rd_expense is not None and firm.rd_expense > 0:
        intensity = firm.rd_expense / firm.revenue if firm.revenue else None
        for floor, value in w.rd_bands:
            if floor == 0 or (intensity is not None and intensity >= floor):
                text = (
                    f"研发投入强度 {half_up_value(intensity * 100, 2):.2f}%（{firm.year} 年）"
                    if intensity is not None
                    else f"有研发投入 {money_text(firm.rd_expense)}（{firm.year} 年）"
                )
                parts.append((value, text))
                break
    if firm.contracts > 0:
        parts.append(
            (
                w.contract * min(firm.contracts, w.contracts_counted),
                f"曾作为买方登记技术合同 {firm.contracts} 项（技术交易额 {money_text(firm.contract_amount)}）",
            )
        )
    if offer.region and firm.region == offer.region:
        parts.append((w.district, f"与成果所属机构同在{offer.region_name or offer.region}"))
    elif offer.region and firm.region[:CITY_CHARS] == offer.region[:CITY_CHARS]:
        parts.append((w.city, f"与成果所属机构同在{offer.city_name or offer.region[:CITY_CHARS]}"))
    return parts
