"""Figures the platform records itself take precedence over what a firm reported for the same year.

Policy: the innovation-points indicator 企业技术合同成交额 (facts column `tech_contract_amount`, 万元, as seller)
is the technology transaction amount (技术交易额 = contract total − non-technical costs, not the contract total)
of the seller's contracts registered (认定登记) in that year. Where the register has at least one registered
contract of a firm in a year, their sum replaces the reported figure; a firm-year the register does not know
keeps the reported value (contracts registered elsewhere reach the bureau only as reported figures). Refused and
undecided contracts count for nothing (the loader passes registered ones only).
"""

from __future__ import annotations

import polars as pl

REGISTERED_SCHEMA = {"uscc": pl.Utf8, "year": pl.Int64, "tech_contract_amount": pl.Float64}


def with_registered_contracts(panel: pl.DataFrame, registered: pl.DataFrame) -> pl.DataFrame:
    """`panel` (the facts table) with `tech_contract_amount` taken from `registered` (uscc, year, amount) where
    the register has that firm-year; every other value and row unchanged."""
    if registered.is_empty():
        return panel
    by_year = registered.rename({"tech_contract_amount": "_registered"}).with_columns(
        pl.col("year").cast(panel.schema["year"])
    )
    dtype = panel.schema["tech_contract_amount"]
    return (
        panel.join(by_year, on=["uscc", "year"], how="left")
        .with_columns(
            pl.coalesce(pl.col("_registered").cast(dtype), pl.col("tech_contract_amount")).alias("tech_contract_amount")
        )
        .drop("_registered")
    )
