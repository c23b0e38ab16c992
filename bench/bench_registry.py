"""Benchmark: the registry at scale.

    python bench/bench_registry.py [--rows 100000] [--enterprises 100000]

1. Import a facts CSV of --rows rows (synthetic demo firms, every column) through the same path as
   `kechuang import facts`: read, validate every cell, upsert. Target ≤ 60 s. Re-import: nothing changes.
2. The enterprise list page with --enterprises enterprises: median response time over searches, filters and
   pages (target < 200 ms), and the query count of a 50-row page equals that of a short page.
Runs on a fresh SQLite database in a temporary folder, or on DATABASE_URL when set (its tables are emptied).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KECHUANG_DATA_DIR", tempfile.mkdtemp(prefix="kc-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kechuang.accounts.models import User  # noqa: E402
from kechuang.core.reference import load_reference  # noqa: E402
from kechuang.demo import load as demo_load  # noqa: E402
from kechuang.demo.generator import generate  # noqa: E402
from kechuang.engine import facts  # noqa: E402
from kechuang.enterprises import importing, services  # noqa: E402

IMPORT_TARGET_S = 60.0
LIST_TARGET_MS = 200.0


def write_csv(frame, path: Path) -> None:
    out = frame.rename({c.name: facts.header_label(c) for c in facts.COLUMNS})
    out.write_csv(path)


def bench_import(rows: int) -> bool:
    firms = max(10, rows // 4)
    frame = generate(firms, seed=7).facts
    while frame.height < rows:
        firms = int(firms * 1.1) + 1
        frame = generate(firms, seed=7).facts
    frame = frame.head(rows)
    path = Path(os.environ["KECHUANG_DATA_DIR"]) / "facts.csv"
    write_csv(frame, path)
    started = time.perf_counter()
    report = importing.import_facts(path)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = importing.import_facts(path)
    seconds_again = time.perf_counter() - started
    ok = seconds <= IMPORT_TARGET_S and not report["errors"] and again["stats"]["unchanged"] == rows
    print(
        f"import {rows:>9,} rows   {seconds:7.1f} s  ({rows / seconds:,.0f} rows/s)  target ≤ {IMPORT_TARGET_S:.0f} s"
        f"  {'OK' if ok else 'MISSED'}"
    )
    print(f"re-import (no change)   {seconds_again:7.1f} s  unchanged={again['stats']['unchanged']:,}")
    return ok


def bench_list(n: int) -> bool:
    from kechuang.enterprises.models import Enterprise

    have = Enterprise.objects.count()
    if have < n:
        frame = generate(n - have, seed=11).facts
        latest = frame.sort("uscc", "year").group_by("uscc", maintain_order=True).last()
        rows = demo_load.frame_to_rows(latest)
        services.upsert_facts(rows, columns=[*facts.STATIC_NAMES, "year"], audit_changes=False)
    total = Enterprise.objects.count()
    user = User.objects.create(username="bench", role="bureau_staff")
    client = Client()
    client.force_login(user)
    sample = Enterprise.objects.order_by("pk").values_list("uscc", "name")[total // 2]
    requests = [
        {},
        {"page": 1000},
        {"q": sample[1][2:6]},
        {"q": sample[0][:10]},
        {"region": "140100"},
        {"industry": "C"},
        {"origin": "local_startup"},
        {"sort": "-registered_on", "page": 5},
    ]
    times = []
    for params in requests * 3:
        started = time.perf_counter()
        response = client.get("/enterprises/", params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as full:
        client.get("/enterprises/", {"page": 1})
    with CaptureQueriesContext(connection) as short:
        client.get("/enterprises/", {"q": sample[0]})
    median = statistics.median(times)
    ok = median < LIST_TARGET_MS and len(full.captured_queries) == len(short.captured_queries)
    print(
        f"list at {total:>9,} enterprises  median {median:6.1f} ms, max {max(times):6.1f} ms  "
        f"target < {LIST_TARGET_MS:.0f} ms; queries full page {len(full.captured_queries)}, "
        f"short page {len(short.captured_queries)}  {'OK' if ok else 'MISSED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    load_reference()
    print(f"database: {connection.vendor}")
    ok = bench_import(args.rows)
    ok = bench_list(args.enterprises) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
