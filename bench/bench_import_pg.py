"""Benchmark (a prototype of the PostgreSQL import path, not the product's): 1,000,000 facts rows by COPY.

    python bench/bench_import_pg.py [--rows 1000000] [--database-url postgres://…/kechuang_bench_import]

What it measures, on a PostgreSQL database of its own (created if missing): a CSV of --rows annual rows (half the
number of firms × 2 years, every annual column of the facts table, a few bad cells) is COPYed into a temporary
(unlogged) staging table of text columns with its row numbers and validated set-wise in one pass (a regular
expression per column kind lets the clean rows through; the suspects are checked rule by rule, each error as file,
row, field and a Chinese message). The valid rows are upserted into the annual figures in the same transaction
(`INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM`, after a join that drops the unchanged rows, so an
unchanged row is not written). Then the same file again: nothing changes. Targets (issue 22): ≤ 60 s, re-import
≤ 30 s.

What it does not do (why it is a prototype): `kechuang import facts` still reads through engine.facts_file and
upserts from Python. The set-wise checks here cover the rule families that decide most rows — a number, a whole
number, not negative, a yes/no word, a date, a known USCC and year — with the messages engine/facts gives for them;
decimal places, bounds, enumerations, text length, thousands separators and static columns are not checked, and
nothing is audited. Wiring it into the import means every rule of engine/facts as SQL, with the same messages.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kechuang_bench_import"
IMPORT_TARGET_S, REIMPORT_TARGET_S = 60.0, 30.0
YEARS = (2023, 2024)
BAD_CELLS = 5


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL))
    return parser.parse_args()


ARGS = parse_args()
if not ARGS.database_url.startswith(("postgres://", "postgresql://")):
    sys.exit("bench_import_pg 只在 PostgreSQL 上运行（--database-url postgres://…）")
os.environ["DATABASE_URL"] = ARGS.database_url
os.environ.setdefault("KECHUANG_DATA_DIR", tempfile.mkdtemp(prefix="kc-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")


def ensure_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from kechuang.core.reference import load_reference  # noqa: E402
from kechuang.engine import facts  # noqa: E402

ANNUAL = [c for c in facts.COLUMNS if c.name in facts.ANNUAL_NAMES]
NUMERIC = {facts.MONEY, facts.NUMBER, facts.FRACTION}
NUMBER_RE = r"^-?[0-9]+(\.[0-9]+)?$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BOOL_WORDS = sorted(facts.TRUE_WORDS | facts.FALSE_WORDS)


def firm_uscc(n: int) -> str:
    return f"91140105{n:09d}X"  # the format only: the check digits are not what this benchmark measures


def write_csv(rows: int, path: Path) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["统一社会信用代码", "年度", *(c.label for c in ANNUAL)])
        for i in range(rows):
            cells = []
            for c in ANNUAL:
                if c.kind in NUMERIC:
                    cells.append(f"{rng.randint(0, 50000) / 100:.2f}" if c.kind != facts.FRACTION else "0.05")
                elif c.kind == facts.INT:
                    low = c.bounds[0] if c.bounds else 0
                    cells.append(str(max(low, rng.randint(0, 9)) if not c.bounds else c.bounds[0]))
                elif c.kind == facts.BOOL:
                    cells.append(rng.choice(("是", "否")))
                elif c.kind == facts.DATE:
                    cells.append("2022-11-01")
                else:
                    cells.append("")
            out.writerow([firm_uscc(i // 2), YEARS[i % 2], *cells])
    # A few bad cells at known rows: a word in a money column, a negative count, a bad yes/no, an unknown firm.
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    revenue, tech, hte, patents = (
        header.index(facts.BY_NAME[n].label) for n in ("revenue", "tech_staff", "hte_certified", "invention_patents")
    )
    bad = [(revenue, "一百"), (tech, "-3"), (hte, "可能"), (0, "91140105999999999X"), (patents, "-2")]
    for k, (col, value) in enumerate(bad):
        row = 2 + k * (rows // BAD_CELLS)
        cells = lines[row - 1].split(",")
        cells[col] = value
        lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_firms(firms: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE enterprises_enterprise CASCADE")
        with cursor.cursor.copy("COPY enterprises_enterprise (uscc, name, created_at, updated_at) FROM STDIN") as copy:
            for n in range(firms):
                copy.write_row((firm_uscc(n), f"导入测试企业{n}", "2026-01-01 00:00:00+00", "2026-01-01 00:00:00+00"))
        cursor.execute("ANALYZE enterprises_enterprise")


def checks() -> str:
    """One pass over the staging table: per row, one (field, message) per rule, kept where the rule fails."""
    rules = []

    def add(column: str, label: str, condition: str, message_sql: str):
        rules.append(
            f"('{label}', CASE WHEN NULLIF(TRIM({column}), '') IS NOT NULL AND ({condition}) THEN {message_sql} END)"
        )

    for c in ANNUAL:
        col = f"s.c_{c.name}"
        shown = f"'“' || TRIM({col}) || '”'"
        if c.kind in NUMERIC | {facts.INT}:
            add(col, c.label, f"TRIM({col}) !~ '{NUMBER_RE}'", f"{shown} || '不是有效数字'")
            if c.kind == facts.INT:
                add(col, c.label, f"TRIM({col}) ~ '^-?[0-9]+\\.[0-9]*[1-9]'", f"{shown} || '应为整数'")
            if c.name not in facts.SIGNED_MONEY:
                add(col, c.label, f"TRIM({col}) ~ '^-[0-9]'", f"{shown} || '不能为负数'")
        elif c.kind == facts.BOOL:
            words = ", ".join(f"'{w}'" for w in BOOL_WORDS)
            message = f"{shown} || '不是有效的是/否值（可填 是/否、true/false、1/0）'"
            add(col, c.label, f"LOWER(TRIM({col})) NOT IN ({words})", message)
        elif c.kind == facts.DATE:
            add(col, c.label, f"TRIM({col}) !~ '{DATE_RE}'", f"{shown} || '不是有效日期，请使用 YYYY-MM-DD 格式'")
    add("s.uscc", "统一社会信用代码", "e.id IS NULL", "'“' || s.uscc || '”不是已登记的企业'")
    add("s.year", "年度", "s.year !~ '^(19|20)[0-9]{2}$'", "'“' || s.year || '”不是有效年度'")
    # Most rows are clean: one cheap test per row (a regex over each kind's cells joined) picks the few suspects,
    # and only those get one (field, message) per rule.
    unsigned = [f"s.c_{c.name}" for c in ANNUAL if c.kind in NUMERIC and c.name not in facts.SIGNED_MONEY]
    signed = [f"s.c_{c.name}" for c in ANNUAL if c.kind in NUMERIC and c.name in facts.SIGNED_MONEY]
    whole = [f"s.c_{c.name}" for c in ANNUAL if c.kind == facts.INT]
    dates = [f"s.c_{c.name}" for c in ANNUAL if c.kind == facts.DATE]
    bools = [f"s.c_{c.name}" for c in ANNUAL if c.kind == facts.BOOL]
    # Each pattern accepts only cells every rule of its kind accepts (stricter is safe: a suspect is checked in full).
    number, integer, date = r"([0-9]+(\.[0-9]+)?)?", "([0-9]+)?", "([0-9]{4}-[0-9]{2}-[0-9]{2})?"
    clean = " AND ".join(
        [
            f"concat_ws('|', {', '.join(unsigned)}) ~ '^{number}(\\|{number})*$'",
            f"concat_ws('|', {', '.join(whole)}) ~ '^{integer}(\\|{integer})*$'",
            *(f"({c} IS NULL OR {c} ~ '^-?{number}$')" for c in signed),
            f"concat_ws('|', {', '.join(dates)}) ~ '^{date}(\\|{date})*$'",
            *(f"({b} IS NULL OR {b} IN ('是', '否'))" for b in bools),
            "e.id IS NOT NULL",
            "s.year ~ '^(19|20)[0-9]{2}$'",
        ]
    )
    return (
        "INSERT INTO import_errors SELECT s.row_no, v.field, v.message "
        "FROM staging s LEFT JOIN enterprises_enterprise e ON e.uscc = s.uscc "
        f"CROSS JOIN LATERAL (VALUES {', '.join(rules)}) AS v(field, message) "
        f"WHERE NOT ({clean}) AND v.message IS NOT NULL"
    )


def cast(c) -> str:
    value = f"NULLIF(TRIM(s.c_{c.name}), '')"
    if c.kind == facts.BOOL:
        words = ", ".join(f"'{w}'" for w in sorted(facts.TRUE_WORDS))
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE LOWER({value}) IN ({words}) END"
    if c.kind == facts.DATE:
        return f"{value}::date"
    if c.kind == facts.INT:
        return f"{value}::numeric::integer"
    if c.kind in NUMERIC:
        return f"{value}::numeric"
    return f"{value}::varchar"


def import_file(path: Path) -> tuple[list[tuple], int]:
    names = [c.name for c in ANNUAL]
    qn = connection.ops.quote_name
    targets = [qn(f.column) for f in (_field(n) for n in names)]
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = ", ".join(f"c_{n} text" for n in names)
        cursor.execute(
            f"CREATE TEMP TABLE staging (row_no bigint GENERATED ALWAYS AS IDENTITY (START 2), uscc text, "
            f"year text, {columns}) ON COMMIT DROP"
        )
        cursor.execute("CREATE TEMP TABLE import_errors (row_no bigint, field text, message text) ON COMMIT DROP")
        copy_sql = f"COPY staging (uscc, year, {', '.join(f'c_{n}' for n in names)}) FROM STDIN (FORMAT csv, HEADER)"
        with path.open("rb") as f, cursor.cursor.copy(copy_sql) as copy:
            while block := f.read(1 << 20):
                copy.write(block)
        copied = time.perf_counter()
        cursor.execute(checks())
        checked = time.perf_counter()
        cursor.execute("SELECT row_no, field, message FROM import_errors ORDER BY row_no, field")
        errors = [(path.name, *row) for row in cursor.fetchall()]
        # Unchanged rows are dropped by a hash join against the stored figures before the upsert, so re-importing
        # an unchanged file probes and locks nothing; the upsert's own WHERE still guards a concurrent change.
        stored = ", ".join(f"f.{t}" for t in targets)
        distinct = " OR ".join(f"t.{t} IS DISTINCT FROM EXCLUDED.{t}" for t in targets)
        cursor.execute(
            f"INSERT INTO enterprises_annualfigure AS t (enterprise_id, year, {', '.join(targets)}, updated_at) "
            f"SELECT enterprise_id, year, {', '.join(targets)}, now() FROM ("
            f"SELECT e.id AS enterprise_id, s.year::smallint AS year, "
            f"{', '.join(f'{cast(c)} AS {t}' for c, t in zip(ANNUAL, targets, strict=True))}, f.id AS stored_id, "
            f"ROW({stored}) AS stored_row "
            "FROM staging s JOIN enterprises_enterprise e ON e.uscc = s.uscc "
            "LEFT JOIN enterprises_annualfigure f ON f.enterprise_id = e.id AND f.year = s.year::smallint "
            "WHERE NOT EXISTS (SELECT 1 FROM import_errors x WHERE x.row_no = s.row_no)) AS n "
            f"WHERE stored_id IS NULL OR stored_row IS DISTINCT FROM ROW({', '.join(targets)}) "
            f"ON CONFLICT (enterprise_id, year) DO UPDATE SET {', '.join(f'{t} = EXCLUDED.{t}' for t in targets)}, "
            f"updated_at = EXCLUDED.updated_at WHERE {distinct}"
        )
        written = cursor.rowcount
    upserted = time.perf_counter()
    print(
        f"  COPY {copied - began:.1f} s, checks {checked - copied:.1f} s, upsert and commit {upserted - checked:.1f} s"
    )
    return errors, written


def _field(name: str):
    from kechuang.enterprises.models import AnnualFigure

    return AnnualFigure._meta.get_field(name)


def main() -> int:
    call_command("migrate", verbosity=0)
    load_reference()
    path = Path(os.environ["KECHUANG_DATA_DIR"]) / "facts.csv"
    write_csv(ARGS.rows, path)
    load_firms((ARGS.rows + 1) // 2)
    started = time.perf_counter()
    errors, written = import_file(path)
    first = time.perf_counter() - started
    started = time.perf_counter()
    errors_again, written_again = import_file(path)
    again = time.perf_counter() - started
    for error in errors[:BAD_CELLS]:
        print("  错误：{}，第 {} 行，{}：{}".format(*error))
    ok = first <= IMPORT_TARGET_S and again <= REIMPORT_TARGET_S and written_again == 0 and errors == errors_again
    ok = ok and written == ARGS.rows - len({e[1] for e in errors})
    print(
        f"COPY import {ARGS.rows:>9,} rows × {len(ANNUAL) + 2} columns  {first:6.1f} s  (written {written:,}, "
        f"{len(errors)} row errors)  target ≤ {IMPORT_TARGET_S:.0f} s"
    )
    print(
        f"re-import, unchanged           {again:6.1f} s  (written {written_again:,})  "
        f"target ≤ {REIMPORT_TARGET_S:.0f} s"
    )
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
