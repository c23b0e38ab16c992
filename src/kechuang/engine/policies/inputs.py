"""Optional input columns that policies read and the facts table does not hold.

Policy: these are values the platform keeps in other records: the carrier that hosts the firm, loan balances,
guarantee fees and risk compensation (finance), last year's points rank. What a firm declares when it claims a
benefit (rent paid, loan interest paid) is a facts column (facts.DECLARED), entered with its yearly figures.
These are optional in the facts CSV: a column that is absent, like an empty cell, is **unknown**, so a policy
that needs it answers `unknown` and lists the column under `missing`; it never reads as 0.

They reuse `facts.Column`, so parsing and Chinese labels work exactly as for the canonical columns.
"""

from __future__ import annotations

import polars as pl

from kechuang.engine import facts

POLICY_INPUTS: tuple[facts.Column, ...] = (
    facts.Column("loan_amount", "当年贷款余额", facts.MONEY, group="policy_inputs"),
    facts.Column("carrier", "所在载体", facts.STR, group="policy_inputs"),
    # From the platform's records (settings.POLICY_FACT_PROVIDERS): the finance app's loans and the points runs.
    facts.Column("guarantee_fee_paid", "当年缴纳的融资担保费", facts.MONEY, group="policy_inputs"),
    facts.Column("risk_compensation_due", "当年违约贷款的核定风险补偿", facts.MONEY, group="policy_inputs"),
    facts.Column("points_rank_prev_year", "上一年度创新积分总排名", facts.INT, group="policy_inputs"),
)
POLICY_INPUT_NAMES = tuple(c.name for c in POLICY_INPUTS)
BY_NAME = {c.name: c for c in POLICY_INPUTS}


def column(name: str) -> facts.Column | None:
    """The Column for a facts or policy-input name, or None."""
    return facts.BY_NAME.get(name) or BY_NAME.get(name)


def is_money(name: str) -> bool:
    col = column(name)
    return col is not None and col.kind == facts.MONEY


def polars_schema() -> dict[str, pl.DataType]:
    return facts.polars_schema(POLICY_INPUTS)


def with_policy_inputs(frame: pl.DataFrame) -> pl.DataFrame:
    """Add every absent policy-input column as all-null (unknown), typed."""
    schema = polars_schema()
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in schema.items() if name not in frame.columns]
    return frame.with_columns(missing) if missing else frame
