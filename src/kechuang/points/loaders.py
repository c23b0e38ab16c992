"""Database → engine frames for innovation points.

`panel(years)` is the facts table the scoring and the monitoring read: the registry's annual figures, with the
figures the platform records itself in place of the reported ones where it has them (today: registered
technology contracts, engine/points/registered.py).
"""

from __future__ import annotations

import polars as pl

from kechuang.engine.points.registered import with_registered_contracts
from kechuang.enterprises.loaders import facts_frame
from kechuang.techtransfer.loaders import registered_tech_amounts


def panel(years: list[int]) -> pl.DataFrame:
    return with_registered_contracts(facts_frame(years=years), registered_tech_amounts(years))
