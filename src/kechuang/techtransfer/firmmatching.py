"""Ranked firms for an achievement: the loader that builds the engine's plain inputs from the database
(engine.techtransfer.firms), then the staff's feedback (pinned first, dismissed hidden).

Reads are set-wise, never per firm: the candidates (firms of the achievement's field, firms placed on its chain,
firms whose products the text matcher finds) in one query each, then their latest year's figures, their
registered contracts as a buyer and their chain places, each one query over the candidates. The matcher over the
firms' product texts is built once per process and rebuilt when a product profile changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery, Sum

from kechuang.chains.models import Placement, ProductProfile
from kechuang.core.models import Region
from kechuang.engine import facts
from kechuang.engine.techtransfer.firms import Firm, Offer, products_matcher, rank_firms
from kechuang.enterprises.models import AnnualFigure, Enterprise

from .models import TechContract
from .rebuilt import Rebuilt, state
from .supplymatching import PINNED_REASON
from .supplymodels import Achievement, FirmFeedback, MatchFeedback

DEFAULT_TOP = 20
PRODUCT_HITS = 200  # firms the product text brings in as candidates
# The achievement's 技术领域 (Field) and a firm's 高新技术领域 (facts) name the same eight fields.
FIELD_CODES = {str(label): code for code, label in facts.HIGHTECH_FIELD_LABELS.items()}
IN_CLAUSE = 900  # ids per IN (…) query, below SQLite's variable limit


@dataclass(frozen=True)
class FirmMatch:
    enterprise: Enterprise
    score: float
    reason: str  # in full for the bureau
    ties: str  # without the firm's own figures (R&D, contracts): for the institution
    pinned: bool = False


def _build_products():
    texts = ProductProfile.objects.values_list("enterprise_id", "products")
    return products_matcher({str(pk): text for pk, text in texts})


_products = Rebuilt(lambda: state(ProductProfile), _build_products)


def achievement_text(a: Achievement) -> str:
    return " ".join(p for p in (a.title, a.summary) if p)


def offer(a: Achievement) -> Offer:
    segment = a.segment if a.segment_id else None
    region = a.institution.region_id or ""
    names = dict(Region.objects.filter(code__in=(region, region[:4] + "00")).values_list("code", "name"))
    return Offer(
        field=a.get_field_display() if a.field else "",
        chain=a.chain.name if a.chain_id else "",
        segment=segment.pk if segment else None,
        segment_name=segment.name if segment else "",
        downstream=dict(segment.supplies.values_list("pk", "name")) if segment else {},
        region=region,
        region_name=names.get(region, ""),
        city_name=names.get(region[:4] + "00", ""),
    )


def _chunks(ids: list[int]):
    for i in range(0, len(ids), IN_CLAUSE):
        yield ids[i : i + IN_CLAUSE]


def firms_for(a: Achievement, hits: dict[str, object]) -> list[Firm]:
    """The candidates' plain facts: the field's firms, the chain's firms and the firms the products brought."""
    ids = {int(pk) for pk in hits}
    field = FIELD_CODES.get(str(a.get_field_display())) if a.field else None
    if field:
        ids |= set(Enterprise.objects.filter(hightech_field=field).values_list("pk", flat=True))
    places: dict[int, list[tuple[int, str]]] = {}
    if a.chain_id:
        rows = Placement.objects.exclude(status=Placement.Status.REJECTED).filter(segment__chain_id=a.chain_id)
        for firm, segment, chain in rows.values_list("enterprise_id", "segment_id", "segment__chain__name"):
            places.setdefault(firm, []).append((segment, chain))
        ids |= set(places)
    ordered = sorted(ids)
    latest = AnnualFigure.objects.filter(enterprise=OuterRef("enterprise")).order_by("-year").values("year")[:1]
    firms, figures, bought = {}, {}, {}
    for chunk in _chunks(ordered):
        for pk, uscc, hightech, region in Enterprise.objects.filter(pk__in=chunk).values_list(
            "pk", "uscc", "hightech_field", "region_id"
        ):
            firms[pk] = (uscc, hightech, region)
        figures.update(
            (firm, (year, rd, revenue))
            for firm, year, rd, revenue in AnnualFigure.objects.filter(
                enterprise_id__in=chunk, year=Subquery(latest)
            ).values_list("enterprise_id", "year", "rd_expense", "revenue")
        )
    usccs = {uscc: pk for pk, (uscc, _f, _r) in firms.items()}
    for chunk in _chunks(sorted(usccs)):
        for uscc, n, amount in (
            TechContract.objects.filter(status=TechContract.Status.REGISTERED, buyer_uscc__in=chunk)
            .values("buyer_uscc")
            .annotate(n=Count("pk"), amount=Sum("tech_amount"))
            .values_list("buyer_uscc", "n", "amount")
        ):
            bought[usccs[uscc]] = (n, amount or Decimal(0))
    out = []
    for pk in ordered:
        if pk not in firms:
            continue
        _uscc, hightech, region = firms[pk]
        year, rd, revenue = figures.get(pk, (None, None, None))
        n, amount = bought.get(pk, (0, Decimal(0)))
        out.append(
            Firm(
                id=str(pk),
                field=facts.HIGHTECH_FIELD_LABELS.get(hightech or "", ""),
                chains=frozenset(c for _s, c in places.get(pk, ())),
                segments=frozenset(s for s, _c in places.get(pk, ())),
                region=region or "",
                year=year,
                rd_expense=rd,
                revenue=revenue,
                contracts=n,
                contract_amount=amount,
            )
        )
    return out


def matches(a: Achievement, top: int = DEFAULT_TOP) -> list[FirmMatch]:
    """The achievement's best firms, best first: pinned ones, then the engine's ranking without dismissed ones."""
    feedback = dict(FirmFeedback.objects.filter(achievement=a).values_list("enterprise_id", "action"))
    dismissed = {pk for pk, action in feedback.items() if action == MatchFeedback.Action.DISMISS}
    pinned = [pk for pk, action in feedback.items() if action == MatchFeedback.Action.PIN]
    hits = {h.id: h for h in _products.get().search(achievement_text(a), PRODUCT_HITS)}
    ranked = rank_firms(offer(a), firms_for(a, hits), hits, top=top + len(feedback))
    scored = {int(h.id): h for h in ranked}
    order = sorted(pinned, key=lambda pk: (-(scored[pk].score if pk in scored else 0), pk))
    order += [int(h.id) for h in ranked if int(h.id) not in dismissed and int(h.id) not in pinned]
    order = order[: max(top, len(pinned))]
    found = Enterprise.objects.select_related("region", "industry").in_bulk(order)
    out = []
    for pk in order:
        if pk not in found:
            continue
        hit = scored.get(pk)
        first = [PINNED_REASON] if pk in pinned else []
        out.append(
            FirmMatch(
                found[pk],
                hit.score if hit else 0.0,
                "；".join(first + ([hit.reason] if hit else [])),
                "；".join(first + ([hit.ties] if hit else [])),
                pk in pinned,
            )
        )
    return out
