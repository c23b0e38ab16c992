"""Registered technology contracts in place of the reported 技术合同成交额 (engine/points/registered.py)."""

from __future__ import annotations

import polars as pl

from kechuang.engine.points.registered import REGISTERED_SCHEMA, with_registered_contracts

PANEL = pl.DataFrame(
    {
        "uscc": ["A", "A", "B", "C"],
        "year": [2025, 2026, 2026, 2026],
        "tech_contract_amount": [3.0, 5.0, None, 8.0],
        "revenue": [100.0, 120.0, 50.0, 10.0],
    },
    schema_overrides={"year": pl.Int32},
)


def test_a_registered_firm_year_replaces_the_reported_amount_and_nothing_else():
    registered = pl.DataFrame(
        [("A", 2026, 100.0), ("B", 2026, 12.34), ("Z", 2026, 9.0)], REGISTERED_SCHEMA, orient="row"
    )

    out = with_registered_contracts(PANEL, registered)

    assert out.rows() == [
        ("A", 2025, 3.0, 100.0),  # another year: as reported
        ("A", 2026, 100.0, 120.0),
        ("B", 2026, 12.34, 50.0),  # unknown before, registered now
        ("C", 2026, 8.0, 10.0),  # not in the register: as reported
    ]
    assert out.schema == PANEL.schema  # a firm only the register knows adds no row


def test_an_empty_register_leaves_the_panel_as_it_is():
    assert with_registered_contracts(PANEL, pl.DataFrame(schema=REGISTERED_SCHEMA)).equals(PANEL)
