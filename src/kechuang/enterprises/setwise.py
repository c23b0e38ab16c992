"""The PostgreSQL import path (issue 22): a checked facts file's accepted rows COPYed into a staging table and
upserted set-wise, with the outcome of `services.upsert_facts` — the same stored values, statistics, audit
events in the same order, and consequences on commit.

Why a second writer: `upsert_facts` takes a list of dicts and compares in Python; for a million rows the dicts
alone cost about a minute. Here the reader's panel (engine.facts_file: the one reader, whose checks and messages
decide which rows are accepted) goes to the database as CSV, and SQL finds the new, changed and unchanged rows;
only the changed rows come back to Python, read from the panel as `records()` would give them, so their audit
changes are `audit.diff`'s. An empty cell keeps the stored value (COALESCE); a firm's static attributes come from
its latest year's row; unchanged rows are not written. One transaction: an error leaves nothing written.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from kechuang.core import audit, consequences
from kechuang.engine import facts
from kechuang.engine.facts_file import EXACT_KINDS, FactsFile

from . import services
from .models import AnnualFigure, Enterprise

STAGING = "kc_import_staging"
LATEST = "kc_import_latest"
MATCHED = "kc_import_matched"
COPY_ROWS = 100_000  # rows per CSV block sent to COPY (bounds the text held at once)
WORK_MEM = "256MB"  # the sorts and hashes over a million staged rows stay in memory


def upsert_file(read: FactsFile, positions: list[int], *, actor=None, note: str = "") -> dict[str, int]:
    """Store the panel rows at `positions` (the accepted ones) as `services.upsert_facts` stores their records."""
    columns = [c.name for c in read.columns]
    figure_cols = [c for c in columns if c in services.FIGURE_FIELDS]
    static_attrs = sorted({services._FACT_TO_ATTR.get(c, c) for c in columns if c in facts.STATIC_NAMES} - {"uscc"})
    stats = dict.fromkeys(
        ("enterprises_created", "enterprises_updated", "figures_created", "figures_updated", "unchanged"), 0
    )
    with transaction.atomic(), connection.cursor() as cursor:
        now = timezone.now()
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        _stage(cursor, read, positions, figure_cols, static_attrs)
        events = _enterprises(cursor, read, columns, static_attrs, stats, actor, note, now)
        figure_events, years, insert = _figures(cursor, read, len(positions), figure_cols, stats, actor, note, now)
        # The new figures are inserted while the events' hashes are computed (Python beside the server's work).
        audit.record_copy(events + figure_events, actor=actor, meanwhile=insert)
        cursor.execute(f"DROP TABLE {STAGING}, {LATEST}, {MATCHED}")
        consequences.facts_changed(years=years, actor=actor)
    return stats


# --- Staging ----------------------------------------------------------------------------------------------------


def _field(model, attname: str):
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _staged_columns(figure_cols: list[str], static_attrs: list[str]) -> list[tuple[str, str]]:
    """(column, SQL type) of the staging table: the panel position, the key, then the file's facts typed as
    their stored columns (the reader has checked every value fits: places, magnitude, length)."""
    typed = [(a, _field(Enterprise, a).db_type(connection)) for a in static_attrs]
    typed += [(c, _field(AnnualFigure, c).db_type(connection)) for c in figure_cols]
    return [("pos", "integer"), ("uscc", "varchar(18)"), ("year", "smallint"), *typed]


def _stage(cursor, read: FactsFile, positions, figure_cols, static_attrs) -> None:
    staged = _staged_columns(figure_cols, static_attrs)
    qn = connection.ops.quote_name
    cursor.execute(f"CREATE TEMP TABLE {STAGING} ({', '.join(f'{qn(c)} {t}' for c, t in staged)}) ON COMMIT DROP")
    attr_to_fact = {services._FACT_TO_ATTR.get(n, n): n for n in facts.STATIC_NAMES}
    frame = _panel(read, positions, [attr_to_fact.get(c, c) for c, _ in staged[1:]])
    copy_sql = f"COPY {STAGING} ({', '.join(qn(c) for c, _ in staged)}) FROM STDIN (FORMAT csv)"
    # The next block's CSV is written (Polars, without the GIL) while the database parses the current one.
    blocks = (frame.slice(start, COPY_ROWS) for start in range(0, frame.height, COPY_ROWS))
    with cursor.cursor.copy(copy_sql) as copy, ThreadPoolExecutor(max_workers=1) as writer:
        for data in writer.map(_csv_bytes, blocks):
            copy.write(data)
    cursor.execute(f"CREATE UNIQUE INDEX ON {STAGING} (pos)")
    cursor.execute(f"ANALYZE {STAGING} (pos, uscc, year)")  # the joins' estimates; the facts columns need none


def _csv_bytes(block: pl.DataFrame) -> bytes:
    out = io.BytesIO()  # bytes as COPY takes them: no str to encode again
    block.write_csv(out, include_header=False)
    return out.getvalue()


def _panel(read: FactsFile, positions: list[int], names: list[str]) -> pl.DataFrame:
    """The accepted rows as the staging table takes them: exact decimal text for money, numbers and fractions
    (never the Float64 of the panel), every other fact as the reader typed it."""
    index = pl.Series("pos", positions, dtype=pl.Int64)
    kinds = {c.name: c.kind for c in read.columns}
    panel = pl.DataFrame([(read.exact[n] if kinds[n] in EXACT_KINDS else read.frame[n]).alias(n) for n in names])
    if len(positions) != read.frame.height:  # some row rejected: pick the accepted ones, every column at once
        panel = panel.select(pl.all().gather(index))
    return panel.insert_column(0, index)


# --- Enterprises ------------------------------------------------------------------------------------------------


def _given_differs(left: str, right: str, names: list[str]) -> str:
    """SQL: some value the file gives differs from the stored one (an empty cell gives nothing)."""
    qn = connection.ops.quote_name
    tests = [f"({left}.{qn(n)} IS NOT NULL AND {left}.{qn(n)} IS DISTINCT FROM {right}.{qn(n)})" for n in names]
    return "(" + (" OR ".join(tests) or "FALSE") + ")"


def _enterprises(cursor, read, columns, attrs, stats, actor, note, now) -> list[tuple]:
    """Create the new firms and update the static attributes that changed, from each firm's latest row; the
    events as `services._upsert_enterprises` records them (by the firm's first row in the file)."""
    qn = connection.ops.quote_name
    cols = ", ".join(f"s.{qn(a)}" for a in attrs)
    table = qn(Enterprise._meta.db_table)
    # The latest year's row: the accepted rows hold each (USCC, year) once (a repeat is a row error), so it is the
    # row of the firm's greatest year, found by grouping (no sort) and joined back on the key.
    cursor.execute(
        f"CREATE TEMP TABLE {LATEST} ON COMMIT DROP AS SELECT s.uscc, s.pos, k.first_pos, {cols} FROM ("
        f"SELECT uscc, max(year) AS year, min(pos) AS first_pos FROM {STAGING} GROUP BY uscc) k "
        f"JOIN {STAGING} s ON s.uscc = k.uscc AND s.year = k.year"
    )
    cursor.execute(
        f"SELECT e.id, l.uscc, l.pos, {', '.join(f'e.{qn(_field(Enterprise, a).column)}' for a in attrs)} "
        f"FROM {LATEST} l JOIN {table} e ON e.uscc = l.uscc WHERE {_stored_differs(attrs)} ORDER BY l.first_pos"
    )
    changed = cursor.fetchall()
    events = []
    if changed:
        records = read.records_at([row[2] for row in changed])
        static = services._static_from_rows(records, columns)
        for pk, uscc, _pos, *old in changed:
            values = static[uscc]
            changes = audit.diff(dict(zip(attrs, old, strict=True)), values, values.keys())
            events.append(("enterprise.update", "enterprises.enterprise", pk, pk, changes, note))
        sets = ", ".join(
            f"{qn(_field(Enterprise, a).column)} = COALESCE(l.{qn(a)}, e.{qn(_field(Enterprise, a).column)})"
            for a in attrs
        )
        cursor.execute(
            f"UPDATE {table} e SET {sets}, updated_at = %s FROM {LATEST} l "
            f"WHERE e.uscc = l.uscc AND {_stored_differs(attrs)}",
            [now],
        )
        stats["enterprises_updated"] = cursor.rowcount
    stored = ", ".join(qn(_field(Enterprise, a).column) for a in attrs)
    cursor.execute(
        f"INSERT INTO {table} (uscc, {stored}, created_at, updated_at) SELECT l.uscc, "
        f"{', '.join(f'l.{qn(a)}' for a in attrs)}, %s, %s FROM {LATEST} l "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.uscc = l.uscc) ORDER BY l.first_pos RETURNING id",
        [now, now],
    )
    created = sorted(row[0] for row in cursor.fetchall())  # ids follow the insert's order: the firms' first rows
    stats["enterprises_created"] = len(created)
    events += [("enterprise.create", "enterprises.enterprise", pk, pk, {}, note) for pk in created]
    return events


def _stored_differs(attrs: list[str]) -> str:
    """SQL over LATEST l and the enterprise e: some given static attribute differs from the stored one."""
    qn = connection.ops.quote_name
    tests = [
        f"(l.{qn(a)} IS NOT NULL AND l.{qn(a)} IS DISTINCT FROM e.{qn(_field(Enterprise, a).column)})" for a in attrs
    ]
    return "(" + (" OR ".join(tests) or "FALSE") + ")"


# --- Annual figures ---------------------------------------------------------------------------------------------


def _figures(cursor, read, staged, figure_cols, stats, actor, note, now) -> tuple[list[tuple], set[int], Callable]:
    """Update the changed (firm, year) rows, leave the unchanged alone, and return the insert of the new ones (to
    be called next, on this cursor); the events as `services.upsert_facts` records them: updates by file row,
    then one creation per firm listing its years."""
    qn = connection.ops.quote_name
    table = qn(AnnualFigure._meta.db_table)
    firms = qn(Enterprise._meta.db_table)
    cols = [qn(c) for c in figure_cols]
    # One pass over the staged rows joined to the stored ones decides each row: new (fid null), changed, or
    # unchanged — left out, so that an unchanged file keeps nothing here.
    differs = _given_differs("s", "f", figure_cols)
    cursor.execute(
        f"CREATE TEMP TABLE {MATCHED} ON COMMIT DROP AS SELECT s.pos, e.id AS eid, s.year, f.id AS fid, "
        f"f.id IS NOT NULL AS changed FROM {STAGING} s JOIN {firms} e ON e.uscc = s.uscc "
        f"LEFT JOIN {table} f ON f.enterprise_id = e.id AND f.year = s.year WHERE f.id IS NULL OR {differs}"
    )
    # Read in file order below: with an index and statistics the rows come from a merge of the two position
    # indexes, already in order, instead of a sort of a million wide rows on disk (2.5 s of a first import).
    cursor.execute(f"CREATE INDEX ON {MATCHED} (pos)")
    cursor.execute(f"ANALYZE {MATCHED}")
    cursor.execute(
        f"SELECT m.pos, m.fid, m.eid, m.year, {', '.join(f'f.{c}' for c in cols) or 'NULL'} "
        f"FROM {MATCHED} m JOIN {table} f ON f.id = m.fid WHERE m.changed ORDER BY m.pos"
    )
    changed = cursor.fetchall()
    events, years = [], set()
    if changed:
        records = read.records_at([row[0] for row in changed])
        for (_pos, pk, eid, year, *old), row in zip(changed, records, strict=True):
            given = [c for c in figure_cols if c in row]
            changes = audit.diff(dict(zip(figure_cols, old, strict=False)), row, given)
            events.append(("figure.update", "enterprises.annualfigure", pk, eid, changes, f"{year}年度 {note}".strip()))
            years.add(year)
        sets = ", ".join(f"{c} = COALESCE(s.{c}, f.{c})" for c in cols)
        cursor.execute(
            f"UPDATE {table} f SET {sets}, updated_at = %s FROM {MATCHED} m JOIN {STAGING} s ON s.pos = m.pos "
            "WHERE f.id = m.fid AND m.changed",
            [now],
        )
        stats["figures_updated"] = cursor.rowcount
    cursor.execute(
        f"SELECT eid, string_agg(year::text, '、' ORDER BY year), array_agg(DISTINCT year) FROM {MATCHED} "
        "WHERE fid IS NULL GROUP BY eid ORDER BY min(pos)"
    )
    for eid, listed, created_years in cursor.fetchall():
        events.append(
            (
                "figure.create",
                "enterprises.annualfigure",
                f"{eid}:{listed}",
                eid,
                {},
                f"新增{listed}年度数据 {note}".strip(),
            )
        )
        years.update(created_years)

    def insert() -> None:
        cursor.execute(
            f"INSERT INTO {table} (enterprise_id, year, {', '.join(cols)}{', ' if cols else ''}updated_at) "
            f"SELECT m.eid, m.year, {''.join(f's.{c}, ' for c in cols)}%s FROM {MATCHED} m "
            f"JOIN {STAGING} s ON s.pos = m.pos WHERE m.fid IS NULL ORDER BY m.pos",
            [now],
        )
        stats["figures_created"] = cursor.rowcount
        stats["unchanged"] = staged - stats["figures_created"] - stats["figures_updated"]

    return events, years, insert
