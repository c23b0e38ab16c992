"""Fast set-based writes for large imports, with plain executemany.

Why: Django's bulk_create/bulk_update prepare every value through the query compiler, and SQLite's
999-variable limit cuts a 70-column insert into batches of 14 rows: 100,000 figure rows cost over a minute
of ORM overhead. executemany with one statement and the driver's own adapters does the same in seconds.
Values must already be of the field's Python type (Decimal, date, bool, int, str or None); a JSONField
takes its JSON *text* (engines hand out JSON strings: no parse and re-dump per row).

`chunk_written` is the documented hook at each chunk boundary of a long write (a scoring or evaluation run):
sent after every batch of a write that names a `label`, with `sender` the model, `label` and `rows` (the rows
written so far). Whatever a receiver raises stops the write there, as a crash would — how the tests prove that a
run stopped half-way leaves the previous results in force (docs/deployment.md, "Runs swap in whole").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext

from django.db import connection, transaction
from django.dispatch import Signal

BATCH = 5000
chunk_written = Signal()


def insert_rows(
    model, columns: Sequence[str], rows: Iterable[Sequence], *, label: str = "", commit_each: bool = False
) -> int:
    """INSERT rows (tuples in `columns` order; columns are attnames such as `enterprise_id`).

    `commit_each`: every batch is its own transaction (a run writing millions of rows under a run id nobody reads
    yet holds no lock and no undo for all of them); `label` sends `chunk_written` after each batch."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(_field_name(model, c)) for c in columns]
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(_placeholder(f) for f in fields)})"
    )
    return _executemany(sql, rows, model=model, label=label, commit_each=commit_each)


def update_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """UPDATE by primary key: each row is (*values in `columns` order, pk)."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(_field_name(model, c)) for c in columns]
    sets = ", ".join(f"{qn(f.column)} = {_placeholder(f)}" for f in fields)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(model._meta.pk.column)} = %s"
    return _executemany(sql, rows)


def _executemany(sql: str, rows: Iterable[Sequence], *, model=None, label: str = "", commit_each=False) -> int:
    count, batch = 0, []

    def flush():
        nonlocal count
        with transaction.atomic() if commit_each else nullcontext(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        count += len(batch)
        if label:
            chunk_written.send(sender=model, label=label, rows=count)

    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= BATCH:
            flush()
            batch = []
    if batch:
        flush()
    return count


def _placeholder(field) -> str:
    # PostgreSQL stores JSON as jsonb and will not take text without a cast; SQLite stores the text as is.
    if field.get_internal_type() == "JSONField" and connection.vendor == "postgresql":
        return "%s::jsonb"
    return "%s"


def _field_name(model, attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise ValueError(f"{model.__name__} has no column {attname}")
