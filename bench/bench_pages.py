"""Benchmark: the main list pages at a province's scale on PostgreSQL.

    python bench/bench_pages.py [--firms 100000] [--database-url postgres://…/kechuang_bench_pages]

Loads --firms synthetic enterprises (valid USCCs, Chinese names, regions, industries) with COPY, and a completed
scoring run with one result per firm, into a PostgreSQL database of its own (created if missing; reused when it
already holds that many firms), then times each page through the Django test client: the enterprise list (first
and a deep page, a region filter), the firm search by a name fragment (three, two and one characters: a rare, a
common, an absent one and one whose names all sort last), a whole name and a USCC prefix (trigram, pieces and
pattern indexes), the points leaderboard and its search, and a firm's page. Prints the median of five requests and
the query count of each; target < 300 ms each (issue 22). Exits 1 when a target is missed. PostgreSQL only: the
trigram and pieces indexes and the capped counts are what is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kechuang_bench_pages"
TARGET_MS = 300.0
REPEAT = 5
# Name parts: 2 × 40 × 40 × 6 = 19,200 distinct stems, so a two-syllable fragment matches about 1 firm in 40 and a
# whole stem a few dozen at 1,000,000 firms. One character: a SECOND one is in 1 name in 40, 科 (FIRST and 科技) in
# about 1 in 5, 公 (有限公司) in every name, 犇 in none, 晋 in the half of the names that sort after the other half.
PLACES = ("太原", "晋中")
FIRST = "华恒泰瑞鑫博安达盛远宏信德嘉锦明康源丰汇中天永新鼎成隆旺祥和荣通科创智联讯云辰光"
SECOND = "晟昊宇航峰岳川海林森晨星月阳辉耀驰骏腾飞龙凤麟翔鹏程锐捷卓越精诚合众聚力启航"
TRADES = ("科技", "材料", "医药", "电子", "软件", "装备")
REGIONS = ("140105", "140106", "140107", "140108", "140109", "140110", "140702", "140703")
INDUSTRIES = ("6513", "2710", "3985", "6511", "3562", "2614")
ORIGINS = ("local_startup", "local_institution_team", "relocated", "other")


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PAGES_DATABASE_URL", DEFAULT_URL))
    return parser.parse_args()


ARGS = parse_args()
if not ARGS.database_url.startswith(("postgres://", "postgresql://")):
    sys.exit("bench_pages 只在 PostgreSQL 上运行（--database-url postgres://…）")
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from stdnum.cn import uscc as uscc_std  # noqa: E402

from kechuang.accounts.models import User  # noqa: E402
from kechuang.core.reference import load_reference  # noqa: E402
from kechuang.enterprises.models import Enterprise  # noqa: E402
from kechuang.points import schemes  # noqa: E402
from kechuang.points.models import ScoringRun  # noqa: E402

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc(n: int, region: str) -> str:
    """A valid USCC: 91 + region + organisation code (with its GB 11714 check) + the GB 32100 check."""
    org = f"{n:08d}"
    check = 11 - sum(ALPHABET.index(c) * w for c, w in zip(org, ORG_WEIGHTS, strict=True)) % 11
    body = f"91{region}{org}{ {10: 'X', 11: '0'}.get(check, str(check)) }"
    return body + uscc_std.calc_check_digit(body)


def name(n: int) -> str:
    a, b = FIRST[n % len(FIRST)], SECOND[(n // len(FIRST)) % len(SECOND)]
    place = PLACES[(n // 1600) % len(PLACES)]
    trade = TRADES[(n // 3200) % len(TRADES)]
    return f"{place}{a}{b}{trade}有限公司（{n}）"


def copy(table: str, columns: list[str], rows) -> None:
    """COPY rows (tuples) into `table` in text format, in blocks of 100,000 rows."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        block = io.StringIO()
        count = 0

        def flush():
            with raw.copy(sql) as target:
                target.write(block.getvalue())

        for row in rows:
            block.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            count += 1
            if count % 100_000 == 0:
                flush()
                block = io.StringIO()
        flush()


def load(firms: int) -> tuple[float, float]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE enterprises_enterprise, points_scoringrun, points_pointsresult CASCADE")
    copy(
        "enterprises_enterprise",
        ["uscc", "name", "region_code", "industry_code", "registered_on", "origin", "created_at", "updated_at"],
        (
            (
                uscc(n, REGIONS[n % len(REGIONS)]),
                name(n),
                REGIONS[n % len(REGIONS)],
                INDUSTRIES[n % len(INDUSTRIES)],
                f"{2000 + n % 25}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                ORIGINS[n % len(ORIGINS)],
                "2026-01-01 00:00:00+00",
                "2026-01-01 00:00:00+00",
            )
            for n in range(firms)
        ),
    )
    firms_s = time.perf_counter() - started
    started = time.perf_counter()
    scheme = schemes.scheme_for("core18", dt.date(2024, 12, 31))
    run = ScoringRun.objects.create(
        scheme_id=scheme.id,
        scheme_version=scheme.version,
        scheme_key=scheme.key,
        scheme_data=schemes.jsonable(scheme.to_dict()),
        year=2024,
        as_of=dt.date(2024, 12, 31),
    )
    ids = Enterprise.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=50_000)
    copy(
        "points_pointsresult",
        ["run_id", "enterprise_id", "stage", "points", "rank", "list_id", "list_label", "industry_code",
         "region_code", "carrier", "missing", "contributions", "raw", "normalised", "percentiles", "credit"],
        (
            (run.pk, pk, "growth", round(100 - 100 * i / firms, 4), i + 1, "", "", "", "", "", "", "{}", "{}",
             "{}", "{}", "{}")
            for i, pk in enumerate(ids)
        ),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise")
        cursor.execute("ANALYZE points_pointsresult")
    return firms_s, time.perf_counter() - started


def timed(client: Client, url: str, params: dict) -> tuple[float, int]:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return statistics.median(times), len(queries.captured_queries)


def main() -> int:
    call_command("migrate", verbosity=0)
    load_reference()
    have = Enterprise.objects.count()
    if have != ARGS.firms or not ScoringRun.objects.filter(status="done").exists():
        firms_s, results_s = load(ARGS.firms)
        print(f"COPY {ARGS.firms:,} firms {firms_s:.1f} s, {ARGS.firms:,} points results {results_s:.1f} s")
    else:
        print(f"reusing {have:,} firms in {connection.settings_dict['NAME']}")
    user, _ = User.objects.get_or_create(username="bench_pages", defaults={"role": "bureau_staff"})
    client = Client()
    client.force_login(user)
    middle = ARGS.firms // 2
    sample_uscc = uscc(middle, REGIONS[middle % len(REGIONS)])
    pages = [
        ("企业库 第 1 页", "/enterprises/", {}),
        ("企业库 第 150 页", "/enterprises/", {"page": 150}),
        ("企业库 按区县", "/enterprises/", {"region": "140106"}),
        ("企业库 搜三字片段", "/enterprises/", {"q": PLACES[0][1] + FIRST[3] + SECOND[5]}),
        ("企业库 搜两字片段", "/enterprises/", {"q": FIRST[3] + SECOND[5]}),
        ("企业库 搜单字 罕见", "/enterprises/", {"q": SECOND[0]}),
        ("企业库 搜单字 常见", "/enterprises/", {"q": "科"}),
        ("企业库 搜单字 每家都有", "/enterprises/", {"q": "公"}),
        ("企业库 搜单字 无此字", "/enterprises/", {"q": "犇"}),
        ("企业库 搜单字 排在后半", "/enterprises/", {"q": PLACES[1][0]}),
        ("企业库 搜完整名称", "/enterprises/", {"q": name(middle)}),
        ("企业库 搜信用代码前缀", "/enterprises/", {"q": sample_uscc[:12]}),
        ("积分排行榜 第 1 页", "/points/leaderboard/", {}),
        ("积分排行榜 第 100 页", "/points/leaderboard/", {"page": 100}),
        ("积分排行榜 搜名称", "/points/leaderboard/", {"q": name(middle)}),
        ("企业详情", f"/enterprises/{sample_uscc}/", {}),
    ]
    print(f"database: PostgreSQL {connection.pg_version // 10000}, {Enterprise.objects.count():,} firms")
    print(f"{'page':<24}{'median ms':>10}{'queries':>9}   target < {TARGET_MS:.0f} ms")
    ok = True
    for label, url, params in pages:
        ms, queries = timed(client, url, params)
        ok = ok and ms < TARGET_MS
        print(f"{label:<24}{ms:>10.1f}{queries:>9}   {'OK' if ms < TARGET_MS else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
