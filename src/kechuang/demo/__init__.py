"""Synthetic demo region (firms, figures, valley, carriers, chains, users) for ``kechuang demo``.

Pure Python + numpy + Polars; no Django. See ``generator.generate``.
"""

from .generator import DemoRegion, generate

__all__ = ["DemoRegion", "generate"]
