"""Firm search by a two-character fragment (两字字号 such as "华晟") at a province's scale, on PostgreSQL.

A trigram index (0005) cannot serve a fragment shorter than three characters: the search read the whole table
(0.5 s at a million firms). This adds a GIN index over each name's set of two-character pieces, upper-cased as the
search compares (`kc_name_bigrams`, an immutable SQL function); the list's filter adds "the name holds this piece"
to a two-character search (enterprises.filters), which the index answers, and keeps the LIKE that decides. Nothing
on SQLite. Building the index reads every name once (about 30 s at a million firms on the development machine).
"""

from django.db import migrations

INDEX = "enterprises_name_bigrams"
FUNCTION = """
CREATE OR REPLACE FUNCTION kc_name_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT substr(u, i, 2)), '{}')
    FROM (SELECT upper(t) AS u) s, generate_series(1, char_length(u) - 1) AS i
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("enterprises", "Enterprise")._meta.db_table)
    schema_editor.execute(FUNCTION)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (kc_name_bigrams(name::text))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute("DROP FUNCTION IF EXISTS kc_name_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0005_name_trigram_search")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
