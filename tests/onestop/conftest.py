"""One-stop fixtures on the shared `world`: two bureau offices and the valley's service hall (run by the park
operator). Firms a and b are valley residents, c is not."""

from __future__ import annotations

import pytest

from tests.points.conftest import figures, scored  # noqa: F401  (the diagnosis report's fixtures)


@pytest.fixture
def sworld(world):
    from kechuang.onestop.models import Office

    hightech = Office.objects.create(name="科技局高新技术科", categories=["cultivation", "tech_evaluation"], order=1)
    finance = Office.objects.create(name="科技局科技金融服务中心", categories=["finance", "ip"], order=2)
    hall = Office.objects.create(
        name="晋创谷一站式服务大厅",
        carrier=world["valley"],
        categories=["registration_tax", "finance", "space"],
        order=3,
    )
    return {
        **world,
        "hightech": hightech,
        "finance": finance,
        "hall": hall,
        "staff": world["users"]["bureau_staff"],
        "operator": world["users"]["park_operator"],
        "own": world["users"]["enterprise_user"],
    }
