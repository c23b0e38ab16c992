"""Benchmark: the product's PostgreSQL import (issue 22) on 1,000,000 facts rows, then the same file again.

    flock /tmp/bigbench.lock python bench/bench_import_pg.py [--rows 1000000] [--database-url postgres://…/kechuang_bench_import]

What it measures, on a PostgreSQL database of its own (dropped and created afresh; its name must contain "bench"):
a CSV of --rows rows from the demo generator (every column of the facts table, about 4.7 years per firm, a few
bad cells of different kinds at known rows) imported through `kechuang.enterprises.importing.import_facts`, the
service `kechuang import facts` and the import page call: the engine's reader checks every cell and row (the
one reader, its messages), the accepted rows go by COPY into a temporary staging table and are upserted set-wise
(`enterprises/setwise.py`): new firms and figures inserted, changed ones updated, audited (one event per firm
created and per firm's new years, by COPY with the hash chain), consequences scheduled on commit. Then the
same file again: nothing is written and nothing audited. Targets (issue 22): import ≤ 60 s, re-import ≤ 30 s.

It prints each run's time, the reader's share (the file read and checked alone, timed once more afterwards), the
row errors (file, row, column, message) and the stored counts; exits 1 when a target or a check is missed.
Big: run it under `flock /tmp/bigbench.lock` (4.5 GiB of memory at a million rows; about 3 minutes in all).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kechuang_bench_import"
IMPORT_TARGET_S, REIMPORT_TARGET_S = 60.0, 30.0


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL))
    return parser.parse_args()


ARGS = parse_args()
if not ARGS.database_url.startswith(("postgres://", "postgresql://")):
    sys.exit("bench_import_pg 只在 PostgreSQL 上运行（--database-url postgres://…）")
if "bench" not in ARGS.database_url.rpartition("/")[2]:
    sys.exit("bench_import_pg 会删除并重建数据库：数据库名须含 bench")
os.environ["DATABASE_URL"] = ARGS.database_url
os.environ.setdefault("KECHUANG_DATA_DIR", tempfile.mkdtemp(prefix="kc-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")


def fresh_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


fresh_database(ARGS.database_url)

import django  # noqa: E402

django.setup()

import polars as pl  # noqa: E402
from django.core.management import call_command  # noqa: E402

from kechuang.core.models import AuditEvent  # noqa: E402
from kechuang.core.reference import load_reference  # noqa: E402
from kechuang.demo.generator import generate  # noqa: E402
from kechuang.engine import facts  # noqa: E402
from kechuang.engine.facts_file import read_facts  # noqa: E402
from kechuang.enterprises import importing  # noqa: E402
from kechuang.enterprises.models import AnnualFigure, Enterprise  # noqa: E402

# (column, bad value): a word for money, a negative count, a bad yes/no, a USCC with a wrong check character,
# a part larger than its whole (科技人员数 > 职工总数).
BAD = [
    ("revenue", "一百"),
    ("invention_patents", "-2"),
    ("hte_certified", "可能"),
    ("uscc", None),
    ("tech_staff", None),
]


def facts_csv(rows: int, path: Path) -> list[int]:
    """The generator's panel cut to `rows`, with BAD's cells at known rows; returns those file rows."""
    firms = rows // 4 + 10
    frame = generate(firms, seed=7).facts
    while frame.height < rows:
        firms = int(firms * 1.1) + 1
        frame = generate(firms, seed=7).facts
    frame = frame.head(rows).with_columns(pl.all().cast(pl.Utf8))
    bad_rows = []
    for k, (name, value) in enumerate(BAD):
        i = 10 + k * (rows // len(BAD))
        if name == "uscc":
            code = frame["uscc"][i]
            value = code[:-1] + ("0" if code[-1] != "0" else "1")
        elif name == "tech_staff":
            value = str(float(frame["staff_total"][i] or 0) + 5)
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == i).then(pl.lit(value)).otherwise(pl.col(name)).alias(name)
        )
        bad_rows.append(i + 2)
    frame.rename({c.name: facts.header_label(c) for c in facts.COLUMNS}).write_csv(path)
    return bad_rows


def counts() -> tuple[int, int, int]:
    return Enterprise.objects.count(), AnnualFigure.objects.count(), AuditEvent.objects.count()


def main() -> int:
    call_command("migrate", verbosity=0)
    load_reference()
    path = Path(os.environ["KECHUANG_DATA_DIR"]) / "facts.csv"
    bad_rows = facts_csv(ARGS.rows, path)
    print(f"file: {ARGS.rows:,} rows × {len(facts.COLUMNS)} columns, {path.stat().st_size / 2**20:.0f} MiB")

    started = time.perf_counter()
    first = importing.import_facts(path)
    first_s = time.perf_counter() - started
    firms, figures, events = counts()
    started = time.perf_counter()
    again = importing.import_facts(path)
    again_s = time.perf_counter() - started
    after = counts()
    started = time.perf_counter()
    read_facts(path, codes=importing.reference_codes())
    read_s = time.perf_counter() - started

    for e in first["errors"]:
        print(f"  错误：{e['file']} 第 {e['row']} 行，{e['column'] or '整行'}：{e['message']}")
    print(f"  stored: {firms:,} firms, {figures:,} annual rows, {events:,} audit events; first run {first['stats']}")
    print(f"  re-import: {again['stats']}")
    checks = {
        "errors at the bad rows": sorted({e["row"] for e in first["errors"]}) == bad_rows,
        "same errors again": first["errors"] == again["errors"],
        "every accepted row stored": figures == first["accepted_rows"] == ARGS.rows - len(bad_rows),
        "re-import writes nothing": after == (firms, figures, events)
        and again["stats"]["unchanged"] == first["accepted_rows"],
    }
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'BAD'} {name}")
    print(
        f"import    {ARGS.rows:>9,} rows  {first_s:6.1f} s  (reading and checking alone {read_s:.1f} s)  "
        f"target ≤ {IMPORT_TARGET_S:.0f} s"
    )
    print(f"re-import, unchanged      {again_s:6.1f} s  target ≤ {REIMPORT_TARGET_S:.0f} s")
    ok = first_s <= IMPORT_TARGET_S and again_s <= REIMPORT_TARGET_S and all(checks.values())
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
