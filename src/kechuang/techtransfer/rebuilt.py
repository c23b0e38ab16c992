"""Matching indexes built from the records once per process and built again when those records change.

A web process keeps each matcher (achievements for a need, teams and people, firms' products) between requests;
a request first reads a cheap state of the records it was built from (count, last edit, highest id: an import, a
hand edit, a deletion or an addition each changes it) and rebuilds only when that state moved. One build at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db.models import Count, Max

T = TypeVar("T")


def state(model, edited: str | None = "updated_at") -> tuple:
    """What changes when a record of `model` is added, removed or (with the `edited` timestamp) edited."""
    found = model.objects.aggregate(n=Count("pk"), top=Max("pk"), **({"last": Max(edited)} if edited else {}))
    return found["n"], found["top"], found.get("last")


class Rebuilt(Generic[T]):
    """The value `build()` makes, kept while `key()` gives the same state."""

    def __init__(self, key: Callable[[], tuple], build: Callable[[], T]):
        self._key_of, self._build = key, build
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._value: T | None = None

    def get(self) -> T:
        key = self._key_of()
        with self._lock:
            if self._value is None or self._key != key:
                self._value, self._key = self._build(), key
            return self._value
