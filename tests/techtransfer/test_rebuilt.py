"""Matching indexes are kept between requests and built again only when their records' state moves."""

from __future__ import annotations

import pytest

from kechuang.techtransfer.models import Discipline
from kechuang.techtransfer.rebuilt import Rebuilt, state

pytestmark = pytest.mark.django_db


def test_built_once_while_the_state_holds_and_again_when_it_moves():
    key, builds = [("a",)], []
    kept = Rebuilt(lambda: key[0], lambda: builds.append(len(builds)) or f"index {len(builds)}")
    assert (kept.get(), kept.get()) == ("index 1", "index 1")
    key[0] = ("b",)
    assert (kept.get(), kept.get(), len(builds)) == ("index 2", "index 2", 2)


def test_the_state_moves_on_an_addition_and_a_deletion(supply):
    """Each change moves the state away from the one the index was last built at."""
    before = state(Discipline, edited=None)
    made = Discipline.objects.create(institution=supply["sxu"], name="测试学科", level="provincial")
    added = state(Discipline, edited=None)
    made.delete()
    assert before != added != state(Discipline, edited=None)
