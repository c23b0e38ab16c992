"""Loading reference code lists (regions, industries) into the database; idempotent."""

from __future__ import annotations

from django.db import transaction

from kechuang.reference.load import load_industries, load_regions

from .models import Industry, Region


@transaction.atomic
def load_reference(regions_path=None, industries_path=None) -> dict[str, int]:
    regions = load_regions(regions_path)
    industries = load_industries(industries_path)
    _upsert(Region, regions, {})
    divisions = {r["code"]: r["parent"] for r in industries if r["level"] == 2}

    def section(row: dict) -> str:
        code = row["code"]
        return code if row["level"] == 1 else divisions.get(code[:2], "")

    # Where a group (中类) and its only class share a code, the standard lists no separate group row:
    # such a class hangs from its division.
    known = {r["code"] for r in industries}
    for row in industries:
        if row["parent"] and row["parent"] not in known:
            row["parent"] = row["code"][:2]
    _upsert(Industry, industries, {"section": section})
    return {"regions": len(regions), "industries": len(industries)}


def _upsert(model, rows: list[dict], computed: dict) -> None:
    """Insert parents before children (rows come ordered by level) and update names that changed."""
    for level in sorted({r["level"] for r in rows}):
        objs = [
            model(
                code=r["code"],
                name=r["name"],
                level=r["level"],
                parent_id=r["parent"],
                **{k: f(r) for k, f in computed.items()},
            )
            for r in rows
            if r["level"] == level
        ]
        model.objects.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", *computed],
        )
