"""Expressions for database constraints that both backends evaluate with their own built-in SQL.

Django's SQLite connection registers functions of its own (`django_date_extract`, …); a CHECK constraint that
calls one leaves a database file no other client can maintain (the sqlite3 shell's VACUUM and integrity_check
fail with "no such function"). Constraints use these expressions instead of date lookups such as `month__day`.
"""

from __future__ import annotations

from django.db import models


class IsFirstOfMonth(models.Func):
    """True when the date expression falls on the first day of its month."""

    output_field = models.BooleanField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strftime('%%d', {sql}) = '01'", params  # %% survives Django's parameter formatting

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"EXTRACT(DAY FROM {sql}) = 1", params
