"""Read-only figures of the challenge pages: money per source (committed and paid) per challenge and per pool,
and the bureau's reported figures (engine.challenges.figures). One aggregate query per table, never a query per
row of a list.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from kechuang.engine.challenges import figures as engine_figures
from kechuang.engine.challenges import money

from . import loaders
from .models import Challenge, LedgerEntry, Pool, PoolSource, Tranche

ZERO = Decimal(0)


def source_names() -> list[str]:
    return list(dict.fromkeys(PoolSource.objects.order_by("pool", "order", "pk").values_list("name", flat=True)))


def money_by_challenge(challenges: list[Challenge]) -> dict[int, dict]:
    """{challenge id: {"committed": {source: 万元}, "paid": {source: 万元}}}: payments from the ledger (as split
    when they were approved), commitments split by the pool's shares (as their payments will be)."""
    ids = [c.pk for c in challenges]
    paid: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for cid, name, amount in (
        LedgerEntry.objects.filter(challenge_id__in=ids, kind=LedgerEntry.Kind.PAYMENT, tranche__isnull=False)
        .values_list("challenge_id", "source__name")
        .annotate(s=Sum("amount"))
        .values_list("challenge_id", "source__name", "s")
    ):
        paid[cid][name] = amount
    shares: dict[int, list] = {}
    for pool in Pool.objects.filter(pk__in={c.pool_id for c in challenges if c.pool_id}).prefetch_related("sources"):
        shares[pool.pk] = [(s.name, s.share) for s in sorted(pool.sources.all(), key=lambda s: (s.order, s.pk))]
    out = {}
    for c in challenges:
        committed = money.split(c.committed, shares[c.pool_id]) if c.pool_id and c.committed > 0 else {}
        out[c.pk] = {"committed": committed, "paid": paid.get(c.pk, {})}
    return out


def pool_summary(pool: Pool) -> dict:
    """The pool's sources with what came in, what is promised (open commitments, split by shares), paid out,
    returned, the balance and what is still free."""
    sources = list(pool.sources.order_by("order", "pk"))
    row = Tranche.objects.filter(application__challenge__pool=pool).aggregate(
        a=Sum("amount"), p=Sum("paid"), r=Sum("released")
    )
    open_ = (row["a"] or ZERO) - (row["p"] or ZERO) - (row["r"] or ZERO)
    split = money.split(open_, [(s.name, s.share) for s in sources]) if open_ > 0 else {}
    rows = []
    for s in sources:
        committed = split.get(s.name, ZERO)
        rows.append({"source": s, "committed": committed, "free": s.balance - committed})
    total = {k: sum((getattr(s, k) for s in sources), ZERO) for k in ("pledged", "contributed", "paid", "returned")}
    total["balance"] = total["contributed"] + total["returned"] - total["paid"]
    total["committed"] = open_
    total["free"] = total["balance"] - open_
    return {"pool": pool, "rows": rows, "total": total}


def figures(qs=None) -> dict:
    """The bureau's figures: the engine's counts and the money per source over every pool."""
    ch, teams = loaders.figures_frames(qs)
    out = engine_figures.compute(ch, teams)
    by_source: dict[str, dict] = {}
    for pool in Pool.objects.all():
        for row in pool_summary(pool)["rows"]:
            s = row["source"]
            agg = by_source.setdefault(
                s.name, {k: ZERO for k in ("pledged", "contributed", "committed", "paid", "returned")}
            )
            for k in ("pledged", "contributed", "paid", "returned"):
                agg[k] += getattr(s, k)
            agg["committed"] += row["committed"]
    out["money"] = by_source
    out["definitions"] = engine_figures.DEFINITIONS
    return out
