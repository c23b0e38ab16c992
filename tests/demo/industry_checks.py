"""What the demo region holds of the chains, carriers and one-stop services (called by test_demo_load after a
build, so the region is built once). Counts that do not depend on the region's size are exact."""

from __future__ import annotations

from django.db.models import Count


def check_industry_demo() -> None:
    from kechuang.accounts.models import User
    from kechuang.carriers.models import Application, Carrier, KpiReport, OffshoreProject, RankingRun
    from kechuang.chains import selectors
    from kechuang.chains.models import Chain, Designation
    from kechuang.onestop.models import Assignment, ServiceRequest, Visit

    chains = list(Chain.objects.order_by("order"))
    assert [c.name for c in chains] == [
        "空调产业链",
        "泵业产业链",
        "风机产业链",
        "永磁材料产业链",
        "生物医药与大健康产业链",
        "建筑外加剂产业链",
    ]
    for chain in chains:
        rows, _params = selectors.assess(chain)
        assert any(r["status"] == "missing" for r in rows.values()), chain.name  # every chain shows gaps
    active = selectors.active_designations()
    assert active.filter(role="chain_leader").count() <= 6 and active.filter(role="chain_core").count() <= 18
    assert Designation.objects.filter(ends_on__isnull=False).exists()  # a former 链核, dates matter
    centres = Carrier.objects.filter(kind="offshore_centre")
    assert (centres.count(), centres.filter(status="operating").count()) == (14, 7)
    projects = dict(OffshoreProject.objects.values_list("status").annotate(n=Count("pk")))
    assert (projects["brought_in"], projects["in_talks"]) == (58, 76)
    per_carrier = dict(KpiReport.objects.values_list("carrier").annotate(n=Count("pk")))
    assert len(per_carrier) == 11 and set(per_carrier.values()) == {12}
    flagged = set(KpiReport.objects.exclude(flags=[]).values_list("carrier__name", flat=True))
    assert flagged == {"汾水科创孵化器"}  # the one anomaly
    assert RankingRun.objects.values("month").distinct().count() == 12
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == {
        "submitted",
        "accepted",
        "completed",
        "rejected",
        "withdrawn",
    }
    assert ServiceRequest.objects.filter(rating__isnull=False).exists()
    assert ServiceRequest.objects.filter(status="completed", rating__isnull=True).exists()
    assert set(Application.objects.values_list("status", flat=True)) == {
        "applied",
        "approved",
        "rejected",
        "signed",
        "moved_in",
        "withdrawn",
    }
    assert {"zcc_operator", "official_wang", "official_li", "official_zhao"} <= set(
        User.objects.values_list("username", flat=True)
    )
    assert Assignment.objects.filter(official__username="bureau_staff").exists() and Visit.objects.exists()
