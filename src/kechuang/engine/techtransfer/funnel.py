"""The brokering funnel (转化漏斗): how many matches reached each stage, and the rates, by any grouping.

A record is one match: a case, or a pinned match that no case took up yet; `reached` names the funnel stages it
got to (a terminated case keeps the stages it reached). Rates are shares of the matches, as percentages with two
decimals (half up); a group without matches has no rate (None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# The funnel's steps after the match, in order.
STEPS = ("introduced", "negotiating", "signed", "registered", "converted")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Record:
    groups: dict  # grouping name → label (e.g. {"manager": "王经理", "institution": "山西大学", "field": "新材料"})
    reached: frozenset = field(default_factory=frozenset)


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with two decimals: rate(1, 3) == Decimal("33.33")."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def counts(records: Iterable[Record]) -> dict:
    """{"matches": n, "introduced": n, …, "converted": n}."""
    out = dict.fromkeys(("matches", *STEPS), 0)
    for r in records:
        out["matches"] += 1
        for step in STEPS:
            out[step] += step in r.reached
    return out


def with_rates(row: dict) -> dict:
    """A counts row with each step's rate of the matches (`<step>_rate`)."""
    return {**row, **{f"{s}_rate": rate(row[s], row["matches"]) for s in STEPS}}


def table(records: Iterable[Record], by: str, unknown: str = "—") -> list[dict]:
    """One row per label of grouping `by`: {"label", counts, rates}, most matches first, then by label."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(r.groups.get(by) or unknown, []).append(r)
    rows = [with_rates({"label": label, **counts(rs)}) for label, rs in groups.items()]
    return sorted(rows, key=lambda row: (-row["matches"], -row["converted"], row["label"]))
