"""The policy fixtures (the shipped library, firms the R&D subsidy decides three ways) for the security tests."""

from tests.policies.conftest import library, pworld  # noqa: F401 (fixtures shared with tests/policies)
