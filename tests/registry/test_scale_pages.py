"""The list pages at a province's scale: counts that stop at a cap instead of reading every row, a trigram index for
the name search on PostgreSQL (none on SQLite), and the query count of the main list pages bounded.

The timings at 100,000 firms and more are a benchmark (bench/bench_pages.py), not a test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.core import paging
from kechuang.enterprises.models import Enterprise
from tests.conftest import make_uscc

pytestmark = pytest.mark.django_db
FIRMS = 120


@pytest.fixture
def many(world):
    Enterprise.objects.bulk_create(
        Enterprise(
            uscc=make_uscc(3000 + i),
            name=f"规模测试企业{i:03d}",
            region_id="140105",
            industry_id="6513",
            registered_on=dt.date(2020, 1, 1),
        )
        for i in range(FIRMS)
    )
    return world


def text(response) -> str:
    return response.content.decode()


def test_a_count_above_the_cap_is_shown_as_more_than_the_cap(many, client_for, monkeypatch):
    client = client_for(many["users"]["bureau_staff"])
    url = reverse("enterprises:list")
    monkeypatch.setattr(paging, "COUNT_CAP", 200)
    assert "共 120 家企业" in text(client.get(url, {"q": "规模测试"}))  # exact below the cap

    monkeypatch.setattr(paging, "COUNT_CAP", 100)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": "规模测试", "page": 2})
    assert "超过 100 家企业（可缩小搜索范围）" in text(response) and "共 1" not in text(response)
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages, page.number) == (100, 2, 2)
    assert [e.name for e in page.object_list][:2] == ["规模测试企业050", "规模测试企业051"]
    assert len(page.object_list) == 50
    # The count reads at most cap + 1 rows: a LIMIT inside the COUNT, never a COUNT over the whole match, and no
    # ORDER BY that would make the database find and sort every match before stopping.
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 101" in counts[0] and "ORDER BY" not in counts[0], counts
    # The last page offered is the cap's: page 3 (rows 101–120) is not reached; the last one is shown instead.
    assert client.get(url, {"q": "规模测试", "page": 3}).context["page"].number == 2


def test_the_leaderboard_count_is_capped_too(client_for, monkeypatch, scored_world):
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    response = client_for(scored_world["users"]["bureau_staff"]).get(reverse("points:leaderboard"))
    assert "超过 2 家企业（可缩小筛选范围）" in text(response)
    assert response.context["page"].paginator.num_pages == 1


@pytest.fixture
def scored_world(world):
    from kechuang.points.services import score_year

    score_year(2024)
    return world


def plan_of(qs) -> str:
    """PostgreSQL's plan for a queryset, table scans discouraged (the planner would scan a table this small)."""
    with connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_enterprise_list_costs_a_bounded_number_of_queries(many, client_for, django_assert_max_num_queries):
    client = client_for(many["users"]["bureau_staff"])
    url = reverse("enterprises:list")
    client.get(url)  # the session
    cases = ({}, {"page": 2}, {"q": "规模测试"}, {"q": make_uscc(3007)[:12]}, {"region": "140100"}, {"q": "企"})
    for params in (*cases, {"q": "企", "region": "140100"}):
        # session and user (2), the capped count, the page (its keys, then its rows: 2), the page's regions and
        # industries (2), the filter's
        # regions (narrowed by the region profile: 2), industries and carriers (2), the session's idle timestamp
        # (savepoint, update, release: 3), for a region filter the region and its counties (2), and for one
        # character on PostgreSQL whether it is in more names than the list offers (1)
        one_character = len(params.get("q", "")) == 1 and connection.vendor == "postgresql"
        with django_assert_max_num_queries(16 + one_character):
            assert client.get(url, params).status_code == 200


def test_the_name_search_has_a_trigram_index_on_postgresql_only(many):
    from kechuang.enterprises.filters import EnterpriseFilter

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'enterprises_name_trgm'")
            assert cursor.fetchall() == []
            return
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'enterprises_name_trgm'")
        (definition,) = cursor.fetchone()
        assert "USING gin (upper((name)::text) gin_trgm_ops)" in definition
    # The query the list runs for a name search can take the index.
    plan = plan_of(EnterpriseFilter({"q": "测试企业"}).apply(Enterprise.objects.all()))
    assert "enterprises_name_trgm" in plan, plan


@pytest.mark.parametrize("fragment", ["企业", "q0", "Q0"])
def test_a_two_character_search_finds_the_same_firms_through_the_pieces_index(many, fragment):
    """Too short for trigrams: on PostgreSQL the index of each name's two-character pieces (upper-cased, as the
    search compares) finds the candidates and the LIKE decides; the firms found are those the LIKE alone finds."""
    from kechuang.enterprises.filters import EnterpriseFilter

    Enterprise.objects.filter(uscc=make_uscc(3001)).update(name="规模测试企业Q001")
    Enterprise.objects.filter(uscc=make_uscc(3002)).update(name="规模测试企业q002")
    Enterprise.objects.filter(uscc=make_uscc(3003)).update(name="规模测试企Q业003")  # no "企业", no "Q0"
    found = EnterpriseFilter({"q": fragment}).apply(Enterprise.objects.all())
    like = Enterprise.objects.filter(name__icontains=fragment)
    assert sorted(found.values_list("name", flat=True)) == sorted(like.values_list("name", flat=True))
    expected = {"企业": FIRMS - 1, "q0": 2, "Q0": 2}[fragment]
    assert found.count() == like.count() == expected
    if connection.vendor != "postgresql":
        return
    plan = plan_of(found)
    assert "enterprises_name_bigrams" in plan, plan


ONE_CHARACTER_NAMES = {
    3001: "规模测试企业Q001",
    3002: "规模测试企业q002",
    3003: "华晟规模测试企业003",
    3004: "规模测试企业_004",
}


def numbered(digit: str) -> set[str]:
    """The fixture's unrenamed names whose number holds `digit`."""
    return {f"规模测试企业{i:03d}" for i in range(FIRMS) if digit in f"{i:03d}" and 3000 + i not in ONE_CHARACTER_NAMES}


@pytest.mark.parametrize(
    "fragment, expected",
    [
        ("晟", {"华晟规模测试企业003"}),
        ("q", {"规模测试企业Q001", "规模测试企业q002"}),
        ("Q", {"规模测试企业Q001", "规模测试企业q002"}),
        ("A", set()),  # no name holds it; a USCC-like single character is not a USCC prefix
        ("9", numbered("9")),  # every USCC begins with 9: still only names
        ("_", {"规模测试企业_004"}),  # literal, not LIKE's any-character
        ("犇", set()),
    ],
)
def test_a_one_character_search_finds_the_same_firms_through_the_characters_index(many, fragment, expected):
    """On PostgreSQL the index of each name's characters (upper-cased, as the search compares) finds the candidates
    and the LIKE decides; the firms found are exactly those the LIKE alone finds, on either database."""
    from kechuang.enterprises.filters import EnterpriseFilter

    for number, name in ONE_CHARACTER_NAMES.items():
        Enterprise.objects.filter(uscc=make_uscc(number)).update(name=name)
    found = EnterpriseFilter({"q": fragment}).apply(Enterprise.objects.all())
    assert set(found.values_list("name", flat=True)) == expected
    assert found.count() == len(expected)
    assert set(Enterprise.objects.filter(name__icontains=fragment).values_list("name", flat=True)) == expected
    if connection.vendor != "postgresql":
        return
    plan = plan_of(found)
    assert "enterprises_name_chars" in plan, plan


@pytest.mark.parametrize("cap, walks_the_name_index", [(FIRMS, False), (FIRMS - 1, True)])
def test_a_one_character_search_in_more_names_than_the_list_offers_walks_the_name_index(
    many, client_for, monkeypatch, cap, walks_the_name_index
):
    """A character every name holds: the page is the first names in name order either way; ordered by the name
    itself (the planner may walk its index) only on PostgreSQL and only when more names match than the capped list
    offers, else by an expression no index gives (the matches are found through the characters' index and sorted)."""
    from kechuang.enterprises.filters import EnterpriseFilter

    monkeypatch.setattr(paging, "COUNT_CAP", cap)
    client = client_for(many["users"]["bureau_staff"])
    page = client.get(reverse("enterprises:list"), {"q": "企"}).context["page"]
    assert (page.paginator.count, page.paginator.capped) == (min(FIRMS, cap), FIRMS > cap)
    assert [e.name for e in page.object_list] == [f"规模测试企业{i:03d}" for i in range(50)]
    order = str(EnterpriseFilter({"q": "企"}).apply(Enterprise.objects.all()).query).split("ORDER BY")[1]
    by_name = order.strip().startswith('"enterprises_enterprise"."name" ASC')
    assert by_name == (walks_the_name_index and connection.vendor == "postgresql"), order
    if by_name:
        # Walking the name index, each name is tested by the LIKE alone, as it is (企 has no case): a condition the
        # index's own entries answer, with no set of characters built per name.
        sql = str(EnterpriseFilter({"q": "企"}).apply(Enterprise.objects.all()).query)
        assert "kc_name_chars" not in sql and "UPPER" not in sql, sql


@pytest.mark.parametrize("fragment", ["q", "晟"])
def test_a_broad_one_character_search_finds_the_same_firms_whichever_way(many, monkeypatch, fragment):
    """Above the cap a character with case is still matched in any case, one without by the plain LIKE: the same
    firms as below the cap."""
    from kechuang.enterprises.filters import EnterpriseFilter

    for number, name in ONE_CHARACTER_NAMES.items():
        Enterprise.objects.filter(uscc=make_uscc(number)).update(name=name)
    below = list(EnterpriseFilter({"q": fragment}).apply(Enterprise.objects.all()).values_list("pk", flat=True))
    monkeypatch.setattr(paging, "COUNT_CAP", 0)
    above = list(EnterpriseFilter({"q": fragment}).apply(Enterprise.objects.all()).values_list("pk", flat=True))
    assert above == below and len(below) == {"q": 2, "晟": 1}[fragment]


@pytest.mark.parametrize("number", [1, 2, 3])
def test_a_page_read_keys_first_holds_the_same_rows_in_the_same_order(many, number):
    """The enterprise list reads a page's keys, then its rows (core.paging): the rows and their order are those of
    reading the page at once, the last, short page included."""
    rows = Enterprise.objects.order_by("-registered_on", "pk")
    at_once = paging.CappedPaginator(rows, 50).page(number)
    keys_first = paging.CappedPaginator(rows, 50, keys_first=True).page(number)
    assert [e.pk for e in keys_first.object_list] == [e.pk for e in at_once.object_list]
    assert len(keys_first.object_list) == (50 if number < 3 else rows.count() - 100)


@pytest.mark.django_db(transaction=True)
def test_the_characters_index_migration_is_reversible_on_postgresql():
    from django.db.migrations.executor import MigrationExecutor

    def present() -> tuple[bool, bool]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'enterprises_name_chars'")
            index = cursor.fetchone()[0] == 1
            cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'kc_name_chars'")
            return index, cursor.fetchone()[0] == 1

    if connection.vendor != "postgresql":
        pytest.skip("the characters index exists on PostgreSQL only")
    assert present() == (True, True)
    executor = MigrationExecutor(connection)
    executor.migrate([("enterprises", "0006_name_bigram_search")])
    assert present() == (False, False)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert present() == (True, True)
