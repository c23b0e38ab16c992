"""The technology needs posted along a chain (kechuang.techtransfer.chainposts, wired in CHAIN_POST_PROVIDERS):
open needs only, the public summary and never the confidential detail, linked only where the viewer may open
the need page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.chains import services


@pytest.fixture
def needs(placed):
    """On the pm chain (a on 工业软件, b on 磁材): c's open need tagged pm, a's untagged need in 对接中, b's closed
    need tagged pm; a's need tagged bio belongs to the other chain."""
    from kechuang.techtransfer.models import Need

    def need(firm, title, status="open", chain=None, **kw):
        return Need.objects.create(
            enterprise=placed[firm],
            title=title,
            summary=f"{title}的公开描述",
            detail=f"{title}的保密配方X-9",
            status=status,
            chain=chain,
            **kw,
        )

    return {
        **placed,
        "tagged": need(
            "c",
            "钕铁硼晶界扩散",
            chain=placed["pm"],
            budget_min=Decimal("30"),
            budget_max=Decimal("100.5"),
            deadline=dt.date(2026, 12, 31),
        ),
        "untagged": need("a", "磁材检测软件", status="matching", budget_max=Decimal("20")),
        "closed": need("b", "烧结炉节能", status="closed", chain=placed["pm"]),
        "elsewhere": need("a", "原料药结晶", chain=placed["bio"]),
    }


def _posts(client, url) -> str:
    page = client.get(url).content.decode()
    return page[page.index('data-testid="posts"') :]


def test_the_chain_map_lists_the_open_needs_with_their_summary_never_the_detail(needs, client_for):
    posts = _posts(client_for(needs["users"]["bureau_staff"]), reverse("chains:map", args=["pm"]))
    assert "钕铁硼晶界扩散" in posts and "钕铁硼晶界扩散的公开描述" in posts
    assert "磁材检测软件的公开描述" in posts  # untagged need of a firm on the chain
    assert "保密配方" not in posts  # the detail stays on the need page
    assert "烧结炉节能" not in posts  # closed
    assert "原料药结晶" not in posts  # tagged with another chain
    assert "30.00 万元 – 100.50 万元" in posts and "2026-12-31" in posts
    assert "不超过 20.00 万元" in posts
    assert reverse("techtransfer:need", args=[needs["tagged"].pk]) in posts  # the bureau may open every need
    # The segment page lists what names it: a's need on 工业软件, not c's (c is not placed on the chain).
    segment = _posts(
        client_for(needs["users"]["bureau_staff"]), reverse("chains:segment", args=["pm", needs["software"].pk])
    )
    assert "磁材检测软件的公开描述" in segment and "钕铁硼晶界扩散" not in segment and "保密配方" not in segment


def test_a_chain_leader_reads_other_firms_summaries_without_links_it_cannot_open(needs, client_for):
    services.designate(
        user=needs["users"]["bureau_admin"],
        chain=needs["pm"],
        enterprise=needs["a"],
        role="chain_leader",
        designated_on=dt.date(2023, 3, 15),
    )
    own = client_for(needs["users"]["enterprise_user"])  # firm a's user
    posts = _posts(own, reverse("chains:mine"))
    other = reverse("techtransfer:need", args=[needs["tagged"].pk])
    assert "钕铁硼晶界扩散的公开描述" in posts and other not in posts
    assert own.get(other).status_code == 404  # the link would not open: so it is not shown
    mine = reverse("techtransfer:need", args=[needs["untagged"].pk])
    assert mine in posts and own.get(mine).status_code == 200
    assert "保密配方" not in posts


def test_a_role_without_needs_access_gets_no_need_links(needs):
    from kechuang.chains.selectors import placed_on
    from kechuang.techtransfer.chainposts import posts_along_chain

    park = needs["users"]["park_operator"]
    posts = posts_along_chain(needs["pm"], placed_on(needs["pm"]), park)
    assert sorted(p["title"] for p in posts) == ["磁材检测软件", "钕铁硼晶界扩散"]
    assert [p["url"] for p in posts] == ["", ""]
    assert {p["segment_id"] for p in posts} == {None, needs["software"].pk}  # c is not placed on pm
