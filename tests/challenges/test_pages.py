"""Pages per role: who may open what (allowed, 403 or 404), and what each page shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.challenges import services

from .conftest import TODAY, D

pytestmark = pytest.mark.django_db

BUREAU = ("bureau_admin", "bureau_staff")
OTHERS = ("park_operator", "bank_user", "institution_user", "enterprise_user")


def test_smoke_every_page_renders_for_the_bureau(cworld, racing, client_for, pool, experts):
    ch, teams = racing["challenge"], racing["teams"]
    client = client_for(cworld["users"]["bureau_staff"])
    batch = services.create_batch(user=cworld["users"]["bureau_staff"], pool=pool)
    urls = [reverse("challenges:board"), reverse("challenges:intake"), reverse("challenges:figures"),
            reverse("challenges:pool"), reverse("challenges:batches"), reverse("challenges:batch", args=[batch.pk]),
            reverse("challenges:experts"), reverse("challenges:expert", args=[experts[0].pk]),
            reverse("challenges:detail", args=[ch.pk]), reverse("challenges:race_review", args=[ch.pk]),
            reverse("challenges:acceptance", args=[ch.pk, teams[0].pk]),
            reverse("challenges:application", args=[teams[0].pk]),
            reverse("challenges:public_list"), reverse("challenges:public_detail", args=[ch.pk]),
            reverse("challenges:public_capabilities")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    for url in (reverse("challenges:board") + "?format=xlsx", reverse("challenges:pool") + "?format=xlsx",
                reverse("challenges:figures") + "?format=xlsx"):
        assert client.get(url)["Content-Type"].startswith("application/vnd.openxmlformats"), url
