"""Conflict-of-interest exclusion and the panel draw from the expert pool.

Policy:
- The parties of a challenge are the issuer and every applicant: each application's lead organisation and the
  organisations of its members. An expert is excluded when
  `same_institution` — the expert's institution is one of the parties;
  `cooperation` — the expert co-operated with a party on or after the same date `cooperation_years` years
  before the as-of date (近 N 年内, inclusive);
  `declared` — the expert declared a conflict with a party.
  Organisation names are compared after removing spaces (全角 and 半角), since the pool is typed by people.
- The draw takes active, conflict-free experts, those whose fields include the challenge's field first, in an
  order fixed by the seed (a stable hash, so the same seed draws the same panel on every machine); a pool too
  small for the panel says so rather than drawing fewer silently.
Set-based: the exclusions are one Polars join over experts × parties.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import polars as pl

KINDS = {"same_institution": "同一单位", "cooperation": "近期合作", "declared": "本人申报的利益冲突"}
CONFLICT_SCHEMA = {"expert_id": pl.Int64, "organisation": pl.Utf8, "kind": pl.Utf8, "reason": pl.Utf8}


def norm(name: str | None) -> str:
    return "".join((name or "").split()).replace("\u3000", "")


def _norm_expr(column: str) -> pl.Expr:
    """`norm` as a Polars expression (no Python call per row): every Unicode space removed."""
    return pl.col(column).fill_null("").str.replace_all(r"\s+", "")


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def conflicts(
    experts: pl.DataFrame,
    parties: list[str],
    cooperations: pl.DataFrame,
    declared: pl.DataFrame,
    as_of: dt.date,
    years: int,
) -> pl.DataFrame:
    """Every (expert, party) conflict with its kind and Chinese reason.

    experts: expert_id, name, institution; cooperations: expert_id, organisation, on (date);
    declared: expert_id, organisation, reason (may be empty)."""
    wanted = {norm(p): p for p in parties if norm(p)}
    if not wanted or experts.is_empty():
        return pl.DataFrame(schema=CONFLICT_SCHEMA)
    party = pl.DataFrame({"key": list(wanted), "organisation": list(wanted.values())})
    since = years_before(as_of, years)
    same = (
        experts.with_columns(_norm_expr("institution").alias("key"))
        .join(party, on="key")
        .select(
            "expert_id",
            "organisation",
            pl.lit("same_institution").alias("kind"),
            pl.format("专家所在单位与{}为同一单位", "organisation").alias("reason"),
        )
    )
    coop = (
        (
            cooperations.filter((pl.col("on") >= since) & (pl.col("on") <= as_of))
            .with_columns(_norm_expr("organisation").alias("key"))
            .drop("organisation")
            .join(party, on="key")
            .group_by("expert_id", "organisation")
            .agg(pl.col("on").max())
            .select(
                "expert_id",
                "organisation",
                pl.lit("cooperation").alias("kind"),
                pl.format(
                    "{} 与{}有合作（近 {} 年内）", pl.col("on").dt.strftime("%Y-%m-%d"), "organisation", pl.lit(years)
                ).alias("reason"),
            )
        )
        if not cooperations.is_empty()
        else None
    )
    decl = (
        (
            declared.with_columns(_norm_expr("organisation").alias("key"), pl.col("reason").fill_null("").alias("why"))
            .drop("organisation", "reason")
            .join(party, on="key")
            .select(
                "expert_id",
                "organisation",
                pl.lit("declared").alias("kind"),
                pl.when(pl.col("why") == "")
                .then(pl.format("本人申报与{}存在利益冲突", "organisation"))
                .otherwise(pl.format("本人申报与{}存在利益冲突：{}", "organisation", "why"))
                .alias("reason"),
            )
        )
        if not declared.is_empty()
        else None
    )
    frames = [f.cast(CONFLICT_SCHEMA) for f in (same, coop, decl) if f is not None]
    return pl.concat(frames).unique().sort("expert_id", "kind", "organisation")


def reasons_of(conflict_frame: pl.DataFrame, expert_id: int) -> list[str]:
    return conflict_frame.filter(pl.col("expert_id") == expert_id)["reason"].to_list()


@dataclass(frozen=True)
class Draw:
    chosen: list[int]
    excluded: list[dict] = field(default_factory=list)  # {expert_id, name, reasons}
    short: int = 0  # how many more experts the panel needed than the pool had

    def explanation(self) -> str:
        text = f"抽取 {len(self.chosen)} 名专家；因利益冲突回避 {len(self.excluded)} 名"
        if self.short:
            text += f"；无冲突的专家不足，还差 {self.short} 名"
        return text


def _order_key(seed: int, expert_id: int) -> str:
    return hashlib.sha256(f"{seed}:{expert_id}".encode()).hexdigest()


def draw_panel(
    experts: pl.DataFrame,
    conflict_frame: pl.DataFrame,
    size: int,
    seed: int,
    field_name: str = "",
    taken: tuple[int, ...] = (),
) -> Draw:
    """Draw `size` conflict-free active experts (experts: expert_id, name, fields (text), active).

    `taken`: experts already on the panel (not drawn again)."""
    excluded_ids = set(conflict_frame["expert_id"].to_list())
    excluded = [
        {"expert_id": eid, "name": name, "reasons": reasons_of(conflict_frame, eid)}
        for eid, name in experts.filter(pl.col("expert_id").is_in(list(excluded_ids)))
        .select("expert_id", "name")
        .sort("expert_id")
        .iter_rows()
    ]
    free = experts.filter(pl.col("active") & ~pl.col("expert_id").is_in([*excluded_ids, *taken]))
    ranked = free.with_columns(
        (pl.col("fields").fill_null("").str.contains(field_name, literal=True) if field_name else pl.lit(False)).alias(
            "match"
        ),
        pl.col("expert_id").map_elements(lambda e: _order_key(seed, e), return_dtype=pl.Utf8).alias("order"),
    ).sort(["match", "order"], descending=[True, False])
    chosen = ranked["expert_id"].head(size).to_list()
    return Draw(chosen=chosen, excluded=excluded, short=max(size - len(chosen), 0))
