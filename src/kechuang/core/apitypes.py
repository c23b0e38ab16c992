"""Field types for the REST API whose OpenAPI schema says what the handlers refuse.

Why: clients (and tests/security/test_api_schema.py) trust the published schema. A filter that accepts any text but
refuses all but a few values, or an amount typed as "number or string" that refuses most strings, makes a request
that is valid by the schema fail. These types put the refusal into the schema itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

# A month as the pages write it: 2026-05.
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
# The same, or empty for "the latest".
MonthOrLatest = Annotated[str, Field(pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$")]

# Money in 万元 as a JSON number (never a string), non-negative and below 10^12 万元.
MAX_WAN = 10**12
Wan = Annotated[
    Decimal, Field(ge=0, lt=MAX_WAN), WithJsonSchema({"type": "number", "minimum": 0, "exclusiveMaximum": MAX_WAN})
]
# A count of things (firms, events, applications).
MAX_COUNT = 10_000_000
# Metrics a report may leave out: null is accepted, but the schema offers only a number (leaving the field out is
# how a client says "not reported").
OptionalCount = Annotated[
    int | None, Field(ge=0, le=MAX_COUNT), WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_COUNT})
]
OptionalWan = Annotated[
    Decimal | None,
    Field(ge=0, lt=MAX_WAN),
    WithJsonSchema({"type": "number", "minimum": 0, "exclusiveMaximum": MAX_WAN}),
]


def one_of(values, *, blank: bool = True):
    """A Literal of the allowed values (and "" for "any" when blank): a filter refuses nothing else."""
    return Literal[tuple(([""] if blank else []) + [str(v) for v in values])]
