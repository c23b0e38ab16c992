"""Chains fixtures on the shared `world`: a permanent-magnet chain whose segments meet the world's firms.

- 稀土合金 (upstream, class 3254): no firm has it → missing;
- 磁材 (midstream, group 398 + word 钕铁硼): firm b (3985) with the product words 烧结钕铁硼磁材 → 0.45 + 0.2 = 0.65;
- 工业软件 (downstream, class 6513): firm a → 0.6.
Supply links 稀土合金 → 磁材 → 工业软件. A second chain (bio) places firm c (2710) on 原料药.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def chain_world(world):
    from kechuang.chains.models import Chain, ProductProfile, Segment

    pm = Chain.objects.create(code="pm", name="永磁材料产业链", zone="盐湖高新区")
    rare = Segment.objects.create(chain=pm, name="稀土合金", position="upstream", industry_codes=["3254"], order=0)
    magnet = Segment.objects.create(
        chain=pm, name="磁材", position="midstream", industry_codes=["398"], keywords=["钕铁硼"], order=1
    )
    software = Segment.objects.create(
        chain=pm, name="工业软件", position="downstream", industry_codes=["6513"], order=2
    )
    rare.supplies.set([magnet])
    magnet.supplies.set([software])
    bio = Chain.objects.create(code="bio", name="生物医药产业链")
    api = Segment.objects.create(chain=bio, name="原料药", position="upstream", industry_codes=["2710"])
    ProductProfile.objects.create(enterprise=world["b"], products="烧结钕铁硼磁材")
    return {**world, "pm": pm, "rare": rare, "magnet": magnet, "software": software, "bio": bio, "api": api}


@pytest.fixture
def placed(chain_world):
    """Suggestions made and confirmed: a on 工业软件, b on 磁材, c on 原料药."""
    from kechuang.chains import services
    from kechuang.chains.models import Placement

    admin = chain_world["users"]["bureau_admin"]
    for chain in (chain_world["pm"], chain_world["bio"]):
        services.suggest_placements(user=admin, chain=chain)
    services.decide(user=admin, placements=list(Placement.objects.all()), confirm=True)
    return chain_world
