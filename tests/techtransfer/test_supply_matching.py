"""Matching in the app: a need's ranked achievements from the engine matcher with Chinese reasons, the staff's
pin (first) and dismiss (hidden) kept as feedback, re-ranked as achievements change, and who may see or act."""

from __future__ import annotations

import pytest

from kechuang.core.models import AuditEvent
from kechuang.techtransfer import supplymatching
from kechuang.techtransfer.models import Achievement, MatchFeedback

pytestmark = pytest.mark.django_db
PATENT = "一种锂离子电池隔膜的涂覆方法"
KNOW_HOW = "动力电池热失控预警算法"


def _ranked(need) -> list[tuple[str, str, bool]]:
    return [(m.achievement.title, m.reason, m.pinned) for m in supplymatching.matches(need)]


def test_a_need_ranks_achievements_with_reasons(supply):
    assert _ranked(supply["need_a"]) == [
        (PATENT, "共同词：电池、隔膜；IPC H01M；同一技术领域：新材料；同一产业链：新能源电池", False),
        (KNOW_HOW, "共同词：动力电池；IPC H01M、G01R；同一产业链：新能源电池", False),
    ]


def test_rankings_follow_the_records_as_they_change(supply):
    assert [t for t, _r, _p in _ranked(supply["need_b"])] == ["煤矸石制备陶瓷材料技术"]
    Achievement.objects.create(
        institution=supply["sxu"], kind="result", title="煤矸石制备建材砖技术", ipc=["C04B"], trl=7
    )
    assert [t for t, _r, _p in _ranked(supply["need_b"])] == ["煤矸石制备建材砖技术", "煤矸石制备陶瓷材料技术"]


def test_staff_pin_and_dismiss_on_the_page_and_the_firm_sees_the_result(world, supply, client_for):
    need = supply["need_a"]
    staff = client_for(world["users"]["bureau_staff"])
    url = f"/techtransfer/needs/{need.pk}/matches/"
    assert staff.post(f"{url}{supply['know_how'].pk}/", {"action": "pin"}).status_code == 302
    assert staff.post(f"{url}{supply['patent'].pk}/", {"action": "dismiss"}).status_code == 302
    assert _ranked(need) == [(KNOW_HOW, "工作人员置顶；共同词：动力电池；IPC H01M、G01R；同一产业链：新能源电池", True)]
    assert dict(MatchFeedback.objects.values_list("achievement__title", "action")) == {
        KNOW_HOW: "pin",
        PATENT: "dismiss",
    }
    firm = client_for(world["users"]["enterprise_user"])
    page = firm.get(f"/techtransfer/needs/{need.pk}/").content.decode()
    table = page.split('data-testid="matches"')[1].split("</table>")[0]
    assert KNOW_HOW in table and PATENT not in table
    # The firm may not give feedback; nothing is written.
    assert firm.post(f"{url}{supply['patent'].pk}/", {"action": "clear"}).status_code == 403
    assert MatchFeedback.objects.count() == 2
    staff = client_for(world["users"]["bureau_staff"])
    staff.post(f"{url}{supply['patent'].pk}/", {"action": "clear"})
    assert [t for t, _r, _p in _ranked(need)] == [KNOW_HOW, PATENT]
    assert list(
        AuditEvent.objects.filter(action__startswith="match.").order_by("id").values_list("action", flat=True)
    ) == [
        "match.pin",
        "match.dismiss",
        "match.clear",
    ]


def test_an_institution_never_sees_a_needs_matches(world, supply, client_for):
    page = client_for(world["users"]["institution_user"]).get(f"/techtransfer/needs/{supply['need_a'].pk}/")
    assert page.status_code == 200
    assert 'data-testid="matches"' not in page.content.decode()
