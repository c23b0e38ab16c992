"""Policy fixtures: the shipped library loaded, and facts that make the R&D subsidy decide three ways.

rd_subsidy (facts_year: last) as of 2025-06-30 reads the 2024 figures: firm a (R&D 150万, 高企) → band
50–200 = 5万; firm b (R&D 250万, 高企) → band 200–500 = 10万; firm c (R&D 40万, 高企) fails only `rd_min`
(a near miss, 10万 short).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def library(ref):
    from kechuang.policies import services

    services.load_shipped_policies()


@pytest.fixture
def pworld(world, library):
    from kechuang.enterprises.models import AnnualFigure

    for key, rd in (("a", "150"), ("b", "250"), ("c", "40")):
        AnnualFigure.objects.filter(enterprise=world[key], year=2024).update(rd_expense=Decimal(rd), hte_certified=True)
    return world


def policy(code):
    from kechuang.policies.models import Policy

    return Policy.objects.get(code=code)


def editor_post(data: dict, **changes) -> dict:
    """The version editor's inputs for version dict `data`, as a browser posts them, with `changes` ({input: value})
    applied: what an admin does on /policies/<code>/versions/new/."""
    from kechuang.policies import editor

    st = editor.rows(data)
    post = {"facts_year": st["facts_year"], "cond-count": str(len(st["conditions"]))}
    for c in st["conditions"]:
        p = f"cond-{c['index']}-"
        post.update({f"{p}id": c["id"], f"{p}label": c["label"]})
        if c["kept"]:
            post.update({f"{p}kept": "1", f"{p}when": c["when"]})
            continue
        post[f"{p}alts"] = str(len(c["alternatives"]))
        for j, a in enumerate(c["alternatives"]):
            post.update({f"{p}a{j}-{k}": a[k] for k in ("field", "op", "value")})
    b = st["benefit"]
    post.update({k: b[k] for k in ("kind", "amount", "base", "rate", "min", "max", "pick", "below_min")})
    for name, key, cols in (
        ("band", "bands", ("from", "to", "amount", "rate")),
        ("cap", "caps", ("id", "label", "amount", "rate", "of")),
    ):
        post[f"{name}-count"] = str(len(b[key]))
        for i, row in enumerate(b[key]):
            post.update({f"{name}-{i}-{k}": row[k] for k in cols})
    limits, budget = st["limits"], st["budget"]
    post.update(
        {
            "per_firm": limits["per_firm"],
            "per_year": limits["per_year"],
            "method": budget["method"],
            "rank_by": budget["rank_by"],
            "order": budget["order"],
            "year-count": str(len(budget["years"])),
        }
    )
    if limits["one_off"]:
        post["one_off"] = "on"
    if budget["partial"]:
        post["partial"] = "on"
    for i, y in enumerate(budget["years"]):
        post.update({f"year-{i}-year": y["year"], f"year-{i}-amount": y["amount"]})
    post.update(changes)
    return {k: v for k, v in post.items() if v is not None}


def versions(code):
    """A policy's versions (rules.RuleVersion, kind `policies`), drafts included."""
    from kechuang.policies import selectors

    return selectors.versions(policy(code))
