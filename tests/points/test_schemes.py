"""Bureau scheme versions: admin only, validated by the engine (its Chinese errors), audited, and used by
runs whose as-of date falls in the new version's period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.engine.points import get_scheme
from kechuang.points import schemes, services
from kechuang.rules.models import RuleVersion
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db
BASE = "core18@2022-01-01"


def form_data(scheme, **overrides):
    data = {"effective_from": "2025-01-01", "note": "按 2025 年工作要点调整"}
    for ind in scheme.indicators:
        if ind.kind == "weighted":
            for st in scheme.stage_ids:
                data[f"w__{st}__{ind.id}"] = scheme.weights[st][ind.id]
        if ind.normalise.method == "bands":
            for j, band in enumerate(ind.normalise.bands):
                if band.min is not None:
                    data[f"b__{ind.id}__{j}__min"] = band.min
                data[f"b__{ind.id}__{j}__score"] = band.score
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_only_a_bureau_admin_copies_a_scheme(role, world, client_for):
    client = client_for(world["users"][role])
    scheme = get_scheme("core18")
    # 成长期: move 1 point from revenue to R&D expense; the sum stays 100. Tighten the tech-staff top band.
    data = form_data(
        scheme, **{"w__growth__rd_expense": 9, "w__growth__revenue": 7, "b__tech_staff_ratio__0__min": "0.35"}
    )
    get = client.get(reverse("points:scheme_copy", args=[BASE]))
    response = client.post(reverse("points:scheme_copy", args=[BASE]), data)
    listing = client.get(reverse("points:schemes"))
    if role != "bureau_admin":
        assert (get.status_code, response.status_code) == (403, 403)
        assert listing.status_code == (200 if role in ("bureau_staff", "park_operator") else 403)
        assert not RuleVersion.objects.exists() and not AuditEvent.objects.exists()
        return
    assert "权重为本局自定" in get.content.decode()
    assert response.url == reverse("points:scheme", args=["core18@2025-01-01"])
    new = schemes.scheme_by_key("core18@2025-01-01")
    assert (new.weights["growth"]["rd_expense"], new.weights["growth"]["revenue"]) == (9, 7)
    assert new.indicator("tech_staff_ratio").normalise.bands[0].min == 0.35
    assert new.weights_official is False and new.weights_note
    event = AuditEvent.objects.get(action="rule_version.create")
    assert event.changes == {
        "weights.growth.rd_expense": [8, 9],
        "weights.growth.revenue": [8, 7],
        "bands.tech_staff_ratio": [
            [[0.3, 1.0], [0.2, 0.8], [0.1, 0.5], [None, 0.0]],
            [[0.35, 1.0], [0.2, 0.8], [0.1, 0.5], [None, 0.0]],
        ],
    }
    assert "core18@2025-01-01" in listing.content.decode() and "本局调整" in listing.content.decode()
    detail = client.get(reverse("points:scheme", args=["core18@2025-01-01"])).content.decode()
    assert "权重为本局自定" in detail


def test_engine_errors_are_shown_and_nothing_is_saved(world, client_for):
    client = client_for(world["users"]["bureau_admin"])
    scheme = get_scheme("core18")
    data = form_data(
        scheme,
        **{"w__growth__rd_expense": 9, "b__roe__0__score": "1.5", "b__tech_staff_ratio__1__min": "0.4"},
    )
    page = client.post(reverse("points:scheme_copy", args=[BASE]), data).content.decode()
    assert "阶段 growth 的权重合计为 101，应为 100" in page
    assert "指标 roe：第 1 档得分率 score 应在 0 到 1 之间（1 表示满分），现为 1.5" in page
    assert "指标 tech_staff_ratio：分档下限必须从高到低严格递减" in page
    assert not RuleVersion.objects.exists() and not AuditEvent.objects.exists()


def test_a_second_version_on_the_same_day_is_refused(world):
    admin = world["users"]["bureau_admin"]
    scheme = get_scheme("core18")
    kwargs = {
        "user": admin,
        "base_key": BASE,
        "effective_from": dt.date(2025, 1, 1),
        "weights": scheme.weights,
        "bands": {},
        "note": "一",
    }
    services.create_scheme_version(**kwargs)
    with pytest.raises(Exception) as err:
        services.create_scheme_version(**kwargs)
    assert "方案 core18@2025-01-01 已存在，请选择其他生效日期" in str(err.value)
    assert RuleVersion.objects.count() == 1


def test_runs_use_the_version_in_force_on_their_as_of_date(figures):
    scheme = get_scheme("core18")
    weights = {st: dict(row) for st, row in scheme.weights.items()}
    weights["growth"]["rd_expense"], weights["growth"]["revenue"] = 16, 0
    services.create_scheme_version(
        user=figures["users"]["bureau_admin"],
        base_key=BASE,
        effective_from=dt.date(2025, 1, 1),
        weights=weights,
        bands={},
        note="测试",
    )
    old = services.score_year(2024)  # as of 2024-12-31: the shipped version
    new = services.score_year(2024, as_of=dt.date(2025, 1, 1))
    assert (old.scheme_key, new.scheme_key) == (BASE, "core18@2025-01-01")
    a_old = old.results.get(enterprise=figures["a"])
    a_new = new.results.get(enterprise=figures["a"])
    # a: R&D 150 / 500 = 0.3 → 2.4 of 8 before, 4.8 of 16 after; revenue (full score) 8 → 0.
    assert (a_old.contributions["rd_expense"], a_new.contributions["rd_expense"]) == (2.4, 4.8)
    assert (a_old.contributions["revenue"], a_new.contributions["revenue"]) == (8.0, 0.0)
    assert a_new.points == round(a_old.points + 2.4 - 8.0, 2)
    assert new.scheme_data["weights"]["growth"]["rd_expense"] == 16
