"""Database → engine frames for the challenges domain (set-based reads, no per-row ORM loops)."""

from __future__ import annotations

import polars as pl

from kechuang.enterprises.models import AnnualFigure

from .models import Application, Challenge, Cooperation, DeclaredConflict, Expert

EXPERTS = {"expert_id": pl.Int64, "name": pl.Utf8, "institution": pl.Utf8, "fields": pl.Utf8, "active": pl.Boolean}
COOPERATIONS = {"expert_id": pl.Int64, "organisation": pl.Utf8, "on": pl.Date}
DECLARED = {"expert_id": pl.Int64, "organisation": pl.Utf8, "reason": pl.Utf8}


def expert_frames(ids: list[int] | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The pool (or the experts named), their co-operations and their declared conflicts."""
    experts, coop, declared = Expert.objects.all(), Cooperation.objects.all(), DeclaredConflict.objects.all()
    if ids is not None:
        experts, coop, declared = (
            experts.filter(pk__in=ids),
            coop.filter(expert_id__in=ids),
            declared.filter(expert_id__in=ids),
        )
    return (
        pl.DataFrame(
            list(experts.values_list("pk", "name", "institution", "fields", "active")), schema=EXPERTS, orient="row"
        ),
        pl.DataFrame(list(coop.values_list("expert_id", "organisation", "on")), schema=COOPERATIONS, orient="row"),
        pl.DataFrame(list(declared.values_list("expert_id", "organisation", "reason")), schema=DECLARED, orient="row"),
    )


def dishonest_listed(enterprise_id: int) -> bool | None:
    """The firm's latest recorded dishonest-list status (None when the registry does not know)."""
    row = (
        AnnualFigure.objects.filter(enterprise_id=enterprise_id, dishonest_listed__isnull=False)
        .order_by("-year")
        .values_list("dishonest_listed", flat=True)
        .first()
    )
    return row


def figures_frames(challenges=None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The challenges (id, stage, budget, dates) and their teams (challenge_id, status) for the figures."""
    qs = challenges if challenges is not None else Challenge.objects.all()
    ch = pl.DataFrame(
        [
            (pk, stage, str(b) if b is not None else None, pub, con)
            for pk, stage, b, pub, con in qs.values_list("pk", "stage", "budget", "published_on", "contracted_on")
        ],
        schema={"id": pl.Int64, "stage": pl.Utf8, "budget": pl.Utf8, "published_on": pl.Date, "contracted_on": pl.Date},
        orient="row",
    )
    teams = pl.DataFrame(
        list(Application.objects.filter(challenge__in=qs).values_list("challenge_id", "status")),
        schema={"challenge_id": pl.Int64, "status": pl.Utf8},
        orient="row",
    )
    return ch, teams
