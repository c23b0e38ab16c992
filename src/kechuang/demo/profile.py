"""The demo's region profile: the bureau admin sets Taiyuan (data/region.yaml `profile`) before any run, so the
tier runs, diagnoses and leaderboard show the region's own variants, products and waivers."""

from __future__ import annotations

from django.utils import timezone

from kechuang.accounts.models import User
from kechuang.policies.services import load_shipped_policies
from kechuang.rules import region

from .generator import _config


def build() -> None:
    spec = _config()["region"]["profile"]
    load_shipped_policies()  # the waivers are policies of the library (idempotent; load.py loads it again)
    region.save_profile(
        user=User.objects.get(username="bureau_admin"),
        name=spec["name"],
        code=spec["code"],
        tier_variants=spec["tier_variants"],
        products=spec["products"],
        waivers=spec["waivers"],
        on=timezone.localdate(),
    )
