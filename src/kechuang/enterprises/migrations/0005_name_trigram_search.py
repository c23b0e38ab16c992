"""Firm search at a province's scale: a trigram index for the name search on PostgreSQL (none on SQLite).

The list's search is `name__icontains` (PostgreSQL: `UPPER(name::text) LIKE UPPER('%…%')`), which no B-tree can
serve; a GIN index of pg_trgm trigrams over the same expression can, Chinese included (the database's UTF-8 ctype
counts CJK characters as letters). A USCC prefix is served by the unique index's `varchar_pattern_ops` twin that
Django creates for every indexed CharField on PostgreSQL. Creating the extension needs a role allowed to
(pg_trgm is a trusted extension from PostgreSQL 13: the database owner is enough); see docs/deployment.md.
"""

from django.db import migrations

INDEX = "enterprises_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("enterprises", "Enterprise")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin ((UPPER(name::text)) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0004_declared_loan_interest_and_rent")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
