"""Who supplies whom along a chain: the segments upstream and downstream of a firm's segments.

Policy: a chain leader's local suppliers are the firms on the segments that supply its segments directly
(`links`: from → to); its customers, the firms on the segments its segments supply. Only direct links count:
a supplier's supplier is not the leader's supplier. A firm on the leader's own segments is a peer, neither.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl


def neighbours(links: pl.DataFrame, segment_ids: Iterable[int]) -> dict[str, list[int]]:
    """{"suppliers": segment ids supplying any of `segment_ids`, "customers": segment ids they supply}."""
    own = set(segment_ids)
    up, down = set(), set()
    for a, b in links.select("from_id", "to_id").iter_rows():
        if b in own and a not in own:
            up.add(a)
        if a in own and b not in own:
            down.add(b)
    return {"suppliers": sorted(up), "customers": sorted(down)}
