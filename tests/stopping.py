"""Stopping a run half-way, as a crash would: the atomic-swap tests of scoring and tier runs share it."""

from __future__ import annotations

from contextlib import contextmanager

from kechuang.core import bulk


@contextmanager
def stopped_at_chunk(label: str, n: int):
    """Raise at the n-th chunk boundary of the result writes labelled `label` (core.bulk.chunk_written)."""

    def stop(sender, **kwargs):
        if kwargs["label"] == label and kwargs["rows"] == n:
            raise RuntimeError("stopped half-way")

    bulk.chunk_written.connect(stop)
    try:
        yield
    finally:
        bulk.chunk_written.disconnect(stop)
