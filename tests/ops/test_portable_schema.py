"""The database schema needs no function only Django's connection provides, so other clients can maintain it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, connection, transaction

from kechuang.carriers.models import Carrier, KpiReport

DJANGO_FUNCTION_CALL = re.compile(r"\bdjango_\w+\(")


@pytest.mark.django_db
def test_no_constraint_or_index_calls_a_function_django_registers_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("Django registers its own SQL functions on SQLite connections only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
        calls = [name for name, sql in cursor.fetchall() if DJANGO_FUNCTION_CALL.search(sql)]
    assert calls == []  # each would make the sqlite3 shell's VACUUM fail with "no such function"


@pytest.mark.django_db
def test_a_kpi_month_must_be_the_first_day_of_the_month():
    carrier = Carrier.objects.create(name="晋创谷加速器", kind="accelerator")
    KpiReport.objects.create(carrier=carrier, month=dt.date(2026, 3, 1), source="carrier")
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiReport.objects.create(carrier=carrier, month=dt.date(2026, 3, 2), source="carrier")
    assert list(KpiReport.objects.values_list("month", flat=True)) == [dt.date(2026, 3, 1)]
