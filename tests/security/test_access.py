"""One rule per role (issue 21: 12): a page opens ⇔ its menu entry shows ⇔ its API answers, for every role.

The rule is the access table (`kechuang.accounts.access.AREAS`). These tests walk every page and API path the
table names, for every role, and check the answers against the table and against the menu the user is shown;
a page reachable without a menu entry, a menu entry to a refused page, or an API open where the page is not,
fails. A second test pins the decisions themselves (what park operators and institution users may open).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kechuang.accounts import access
from kechuang.api import api
from tests.conftest import ROLES, VISIBLE

pytestmark = pytest.mark.django_db

ALL_ROLES = (*ROLES, "audit_admin")
# Pages and API operations anyone may open without signing in: outside the role rules.
PUBLIC_PAGES = {"challenges:public_list"}
PUBLIC_API = {"/api/challenges/public"}


def _claims(field: str) -> dict[str, set[str]]:
    """Page URL name (field "pages", menu pages included) or API path ("api") → the areas that list it."""
    out: dict[str, set[str]] = {}
    for area in access.AREAS:
        names = ((area.url,) if area.url else ()) + area.pages if field == "pages" else area.api
        for name in names:
            out.setdefault(name, set()).add(area.key)
    return out


def _entry(key: str) -> str:
    """The menu entry that leads to an area: its own, or its parent's."""
    area = access.BY_KEY[key]
    return reverse(area.url if area.label else access.BY_KEY[area.parent].url)


def _page_url(name: str, uscc: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(name, kwargs={"uscc": uscc})


def _menu(client) -> set[str]:
    """The links of the header menu, read from a page every signed-in user opens."""
    html = client.get(reverse("accounts:password")).content.decode()
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    return set(re.findall(r'href="([^"]+)"', nav))


def test_every_api_list_operation_belongs_to_an_area():
    """Each API path without an object in it is walked below (an unlisted one would escape the rule)."""
    paths = {p for p, ops in api.get_openapi_schema()["paths"].items() if "get" in ops}
    listed = set(_claims("api"))
    assert listed <= paths, listed - paths  # no typo in the table
    assert {p for p in paths if "{" not in p} - PUBLIC_API <= listed


def test_every_area_has_a_way_in():
    for area in access.AREAS:
        assert (area.label and area.url) or area.parent in access.BY_KEY, area.key
        if area.url:
            reverse(area.url)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_page_menu_and_api_agree(role, client_for, scored):
    user = scored["users"][role]
    client = client_for(user)
    uscc = scored[min(VISIBLE.get(role) or {"a"})].uscc
    menu = _menu(client)

    # The menu shows exactly the entries of the areas the table opens to the role.
    expected_menu = {reverse(a.url) for a in access.AREAS if a.label and access.allowed(user, a.key)}
    assert menu == expected_menu

    for name, keys in _claims("pages").items():
        if name in PUBLIC_PAGES:
            continue
        url = _page_url(name, uscc)
        opens = client.get(url, follow=True).status_code
        may = any(access.allowed(user, k) for k in keys)
        assert opens == (200 if may else 403), (role, url, opens)
        # A page opens ⇔ a menu entry leading to it shows: its area's own entry, or for an area without one
        # (the leaderboard, the alert inbox) the entry its pages hang under, when the table opens that area.
        shown = any(_entry(k) in menu for k in keys if access.BY_KEY[k].label)
        below = [k for k in keys if not access.BY_KEY[k].label and access.allowed(user, k)]
        assert (opens == 200) == (shown or bool(below)), (role, url, opens)
        assert all(_entry(k) in menu for k in below), (role, url)

    achievement = _achievement()
    for path, keys in _claims("api").items():
        answer = client.get(path.replace("{uscc}", uscc).replace("{achievement}", achievement), {"uscc": uscc})
        may = any(access.allowed(user, k) for k in keys)
        assert answer.status_code == (200 if may else 403), (role, path, answer.status_code, answer.content[:200])
        if may:  # the API is open only where a page of the same area is in the menu
            assert any(_entry(k) in menu for k in keys if access.allowed(user, k)), (role, path)


def _achievement() -> str:
    """An achievement (of an institution without accounts) for the API paths that name one."""
    from kechuang.techtransfer.models import Achievement, Institution

    institution, _made = Institution.objects.get_or_create(name="访问测试大学", kind="university")
    return str(Achievement.objects.get_or_create(institution=institution, kind="result", title="访问测试成果")[0].pk)


def _get(client, name, *args):
    return client.get(reverse(name, args=args)).status_code


def test_park_operators_and_institution_users(client_for, scored):
    """The decisions: a park operator works its firms' points and alerts; an institution user has no points."""
    from kechuang.points.models import Alert

    operator = client_for(scored["users"]["park_operator"])
    for name in ("points:leaderboard", "points:alerts", "points:alert_rules", "points:runs", "points:schemes"):
        assert _get(operator, name) == 200, name
    # Its inbox holds its firms' alerts only (c is resident elsewhere), with no bureau actions.
    c = scored["c"]
    Alert.objects.create(
        enterprise=c,
        year=2024,
        rule="x",
        label="外部预警",
        severity="warning",
        message="x",
        ruleset="monitoring@x",
        created_at=timezone.now(),
    )
    html = operator.get(reverse("points:alerts")).content.decode()
    assert "太原乙材料有限公司" in html and c.name not in html
    assert "重新运行监测" not in html and 'name="assignee"' not in html
    assert operator.post(reverse("points:runs"), {"year": 2024, "scheme_id": "core18"}).status_code == 403
    assert operator.post(reverse("points:alerts_refresh"), {"year": 2024}).status_code == 403

    institution = client_for(scored["users"]["institution_user"])
    b = scored["b"].uscc  # a firm the institution sees (a team of its own founded it)
    assert _get(institution, "enterprises:detail", b) == 200
    for name in ("points:firm", "points:diagnosis", "points:diagnosis_pdf"):
        assert _get(institution, name, b) == 403, name
    assert institution.get(f"/api/points/enterprises/{b}").status_code == 403
    assert _get(institution, "techtransfer:contracts") == 200
    assert "创新积分" not in institution.get(reverse("core:home")).content.decode()

    bank = client_for(scored["users"]["bank_user"])
    assert _get(bank, "enterprises:list") == 403 and bank.get("/api/enterprises").status_code == 403
    assert _get(bank, "finance:bank") == 200


def test_a_menu_entry_follows_a_condition_beyond_the_role(client_for, scored):
    """我的产业链 shows, and opens, only for a firm that holds a chain designation."""
    from kechuang.chains.models import Chain, Designation

    firm = client_for(scored["users"]["enterprise_user"])
    assert reverse("chains:mine") not in _menu(firm)
    assert _get(firm, "chains:mine") == 403
    chain = Chain.objects.create(code="x01", name="测试链")
    Designation.objects.create(chain=chain, enterprise=scored["a"], role="leader", designated_on=dt.date(2024, 1, 1))
    assert reverse("chains:mine") in _menu(firm)
    assert _get(firm, "chains:mine") == 200
