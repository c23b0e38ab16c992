"""Fixtures shared with other areas: the policy library and firms (tests/policies), a scored year (tests/points)."""

from tests.points.conftest import figures, scored  # noqa: F401 (a scored year, for the access walk)
from tests.policies.conftest import library, pworld  # noqa: F401 (fixtures shared with tests/policies)
