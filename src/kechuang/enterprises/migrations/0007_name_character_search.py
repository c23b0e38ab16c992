"""Firm search by a single character (「晟」, 「科」) at a province's scale, on PostgreSQL.

Neither the trigram index (0005) nor the two-character pieces' index (0006) can serve a one-character fragment:
the search read the whole table. This adds a GIN index over each name's characters, upper-cased as the search
compares (`kc_name_chars`, an immutable SQL function); the list's filter adds "the name holds this
character" to a one-character search (enterprises.filters), which the index answers, and keeps the LIKE that
decides. ANALYZE keeps the most common characters of the indexed expression, so the planner can tell a rare
character (read through this index, then sorted) from a common one (the name index walked in order until a page is
full). Nothing on SQLite. Building the index reads every name once.
"""

from django.db import migrations

INDEX = "enterprises_name_chars"
# Every character, repeats included: the GIN index keeps each key once per row anyway, and a single expression (not
# STRICT, which would stop it) is inlined by the planner, so a plan that checks it row by row (walking the name index
# for a common character) pays a microsecond a name instead of an aggregate's ten.
FUNCTION = """
CREATE OR REPLACE FUNCTION kc_name_chars(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_to_array(upper(t), NULL)
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("enterprises", "Enterprise")._meta.db_table)
    schema_editor.execute(FUNCTION)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (kc_name_chars(name::text))")
    # The expression's statistics exist only after an ANALYZE, and creating an index does not trigger one: without
    # them the planner guesses every character rare and reads a common one's whole match through this index.
    schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute("DROP FUNCTION IF EXISTS kc_name_chars(text)")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0006_name_bigram_search")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
