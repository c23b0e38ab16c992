"""Diagnosis report: content, the policy hook, and a PDF that carries its Chinese text and embedded fonts."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kechuang.points import diagnosis, services
from kechuang.points.models import PointsResult

pytestmark = pytest.mark.django_db


def context_for(scored, key, role="bureau_staff"):
    result = PointsResult.objects.select_related("run", "enterprise").get(enterprise=scored[key])
    return diagnosis.build(result.enterprise, result, scored["users"][role])


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """BaseFont → whether a font program (FontFile/2/3) is embedded, over every page."""
    out = {}
    for page in reader.pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            font = ref.get_object()
            desc_fonts = font.get("/DescendantFonts")
            target = desc_fonts[0].get_object() if desc_fonts else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            out[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def test_diagnosis_content_for_a_firm_with_gaps(scored):
    from kechuang.tiers.models import TierResult

    # Pin b's 高企 result (the tiers engine decides it; this test is about the diagnosis): two failed conditions.
    TierResult.objects.filter(run=scored["run"].tier_run, enterprise=scored["b"], tier="high_tech").update(
        qualified="false", failed="field;tech_staff_ratio"
    )
    ctx = context_for(scored, "b")
    assert ctx["explanation"]["points"] == 11.4 and ctx["stage_size"] == 2
    assert [t["year"] for t in ctx["trend"]] == [2024]
    services_by_id = {s["id"]: s["reasons"] for s in ctx["services"]}
    # Tech staff share 8% scores 0 (< 50 %) → talent; 高企 fails two conditions → application coaching.
    assert services_by_id["talent"][0] == "科技人员占职工总数比例得分率 0%，低于 50%"
    assert services_by_id["hte_coaching"] == [
        "高新技术企业仅差 2 项条件（属于国家重点支持的高新技术领域、科技人员占职工总数≥10%）"
    ]
    # R&D score is exactly 0.3 (150 / 500): "低于 0.3" excludes the boundary, and the 小巨人 R&D gap is not
    # the next tier's, so no R&D bookkeeping is recommended.
    assert "rd_bookkeeping" not in services_by_id
    assert [t["tier"] for t in ctx["next_tiers"]] == ["tech_sme"]
    labels = [p["label"] for p in ctx["policies"]]
    # The guarantee-fee waiver is a policy of the library now (listed with the entitlements when granted).
    assert labels == ["创新积分贷（晋商银行）"]
    assert ctx["entitlements_connected"] is True  # kechuang.policies.diagnosis is a provider
    assert [a.rule for a in ctx["alerts"]] == ["hte_tech_staff_low", "rd_expense_drop"]


def test_tier_rows_of_the_diagnosis_speak_chinese(scored):
    tiers = {t["tier"]: t for t in context_for(scored, "b")["tiers"]}
    hte = tiers["high_tech"]
    assert hte["failed"] == ["属于国家重点支持的高新技术领域", "科技人员占职工总数≥10%"]
    assert [g["text"] for g in hte["gaps"]] == ["科技人员占职工总数≥10%——科技人员数：现为 8，需达到 10（差 2）"]
    assert tiers["gazelle"]["missing"] == ["营业收入（2021年度）"]


def test_enterprise_user_sees_no_alerts_in_its_diagnosis(scored):
    assert context_for(scored, "a", role="enterprise_user")["alerts"] == []


def test_year_on_year_change_is_explained(scored):
    from decimal import Decimal

    from kechuang.enterprises.models import AnnualFigure

    services.score_year(2023)
    ctx = context_for_year(scored, "a", 2024)
    assert [t["year"] for t in ctx["trend"]] == [2023, 2024]
    assert ctx["change"].startswith("上升 ") or ctx["change"].startswith("下降 ")
    assert AnnualFigure.objects.filter(enterprise=scored["a"], year=2023).get().rd_expense == Decimal("150")


def context_for_year(scored, key, year):
    result = PointsResult.objects.select_related("run", "enterprise").get(enterprise=scored[key], run__year=year)
    return diagnosis.build(result.enterprise, result, scored["users"]["bureau_staff"])


def test_policy_providers_are_pluggable(scored, settings):
    settings.POINTS_POLICY_PROVIDERS = [
        "kechuang.points.policies.points_loan",
        "tests.points.test_diagnosis.fake",
    ]
    ctx = context_for(scored, "a")
    assert [p["label"] for p in ctx["policies"]] == ["创新积分贷（晋商银行）", "测试政策"]
    # the loan's rule by its product name and effective date, not its code (points_loan_taiyuan@…)
    assert ctx["policies"][0]["source"] == f"创新积分贷（晋商银行）（{scored['run'].credit_rule[-10:]} 起施行）"
    assert ctx["entitlements_connected"] is True


def fake(enterprise, result, run):
    return [
        {
            "kind": "entitlement",
            "label": "测试政策",
            "status": "near",
            "amount": 10,
            "explanation": "",
            "source": "",
        }
    ]


def test_pdf_has_chinese_text_and_embedded_fonts(scored, client_for):
    response = client_for(scored["users"]["enterprise_user"]).get(
        reverse("points:diagnosis_pdf", args=[scored["a"].uscc])
    )
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for phrase in (
        "企业创新积分诊断书",
        "太原甲科技有限公司",
        "服务清单",
        "政策清单",
        "晋商银行",
        "36.2",
    ):
        assert phrase in text, phrase
    fonts = embedded_fonts(reader)
    assert any(name.endswith("Noto-Sans-CJK-SC") for name in fonts), fonts
    assert all(fonts.values()), fonts


def test_pdf_of_an_invisible_firm_is_404(scored, client_for):
    client = client_for(scored["users"]["enterprise_user"])
    assert client.get(reverse("points:diagnosis_pdf", args=[scored["c"].uscc])).status_code == 404


def test_batch_of_the_filtered_list(scored, client_for, django_capture_on_commit_callbacks):
    from kechuang.core import jobs
    from kechuang.core.models import Job

    user = scored["users"]["park_operator"]
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("points:batch_start") + "?stage=growth")
    job = Job.objects.get(kind="points_diagnosis_batch")
    assert response.url == reverse("points:batch", args=[job.pk]) and job.total == 2
    jobs.execute(
        str(job.pk),
        "kechuang.points.services.diagnosis_batch_job",
        {"run_id": scored["run"].pk, "filters": {"stage": "growth"}, "user_id": user.pk},
    )
    job.refresh_from_db()
    assert (job.status, job.done, job.result["count"]) == ("done", 2, 2)
    download = client.get(reverse("points:batch_download", args=[job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == [
        f"00001_{scored['a'].uscc}_太原甲科技有限公司.pdf",
        f"00002_{scored['b'].uscc}_太原乙材料有限公司.pdf",
    ]
    # Someone else's batch is not found.
    other = client_for(scored["users"]["bureau_admin"])
    assert other.get(reverse("points:batch_download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("role", ["enterprise_user", "bank_user", "institution_user"])
def test_batch_is_denied_without_leaderboard_access(role, scored, client_for):
    from kechuang.core.models import Job

    response = client_for(scored["users"][role]).post(reverse("points:batch_start"))
    assert response.status_code == 403 and not Job.objects.exists()


def test_svg_charts():
    svg = diagnosis.radar_svg(
        [{"label": "甲", "value": 100.0}, {"label": "乙", "value": None}, {"label": "丙", "value": 50.0}]
    )
    assert svg.startswith("<svg") and "乙 未知" in svg and "甲 100" in svg
    assert diagnosis.radar_svg([{"label": "甲", "value": 1.0}]) == ""
    assert diagnosis.trend_svg([{"year": 2024, "points": None}]) == ""
    assert ">36.2<" in diagnosis.trend_svg([{"year": 2023, "points": 30.0}, {"year": 2024, "points": 36.2}])


def test_change_is_explained_when_the_previous_stage_is_unknown(scored):
    """A firm whose previous-year stage is unknown (no points that year): the null stage stays text."""
    services.score_year(2023)
    PointsResult.objects.filter(enterprise=scored["a"], run__year=2023).update(stage="", points=None)
    ctx = context_for_year(scored, "a", 2024)
    assert ctx["change"] == "上年无积分，无法比较"


def _replaced_boxes(box):
    """Every chart or image box (SVG, img) under `box`, depth first."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.ReplacedBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _replaced_boxes(child)


def _advance(font, text: str, size: float) -> float:
    cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
    units = font["head"].unitsPerEm
    return sum(metrics[cmap[ord(ch)]][0] for ch in text) * size / units


def test_pdf_charts_lie_within_the_printable_width(scored):
    """Page 2's charts: every drawing inside the page's content box, every radar label inside its drawing."""
    from weasyprint import HTML

    context = context_for(scored, "a")
    document = HTML(string=diagnosis.render_html(context)).render()
    charts = []
    for page in document.pages:
        area = page._page_box
        left, top = area.content_box_x(), area.content_box_y()
        for box in _replaced_boxes(area):
            charts.append(box)
            x, y = box.content_box_x(), box.content_box_y()
            assert left - 0.01 <= x and x + box.width <= left + area.width + 0.01, (x, box.width, left, area.width)
            assert top - 0.01 <= y and y + box.height <= top + area.height + 0.01
    assert len(charts) == 2  # the radar and the points history

    # Labels measured with the font the PDF embeds, against the radar's own drawing box.
    from xml.etree import ElementTree

    from fontTools.ttLib import TTCollection

    fonts = TTCollection("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").fonts
    font = next(f for f in fonts if "SC" in f["name"].getDebugName(1))
    svg = ElementTree.fromstring(diagnosis.radar_svg(context["radar"]))
    vx, vy, vw, vh = (float(v) for v in svg.get("viewBox").split())
    texts = [t for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert len(texts) == len(context["radar"]) >= 3
    for t in texts:
        size, x, y = float(t.get("font-size")), float(t.get("x")), float(t.get("y"))
        width = _advance(font, t.text, size)
        start = {"start": x, "middle": x - width / 2, "end": x - width}[t.get("text-anchor")]
        assert vx <= start and start + width <= vx + vw, (t.text, start, width, vx, vw)
        assert vy <= y - size and y <= vy + vh, (t.text, y, vy, vh)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document.write_pdf())).pages)
    for item in context["radar"]:
        assert item["label"][:10] in text, item["label"]


def noisy_policy(enterprise, result, run):
    return [{"kind": "entitlement", "label": "测试政策", "status": "qualifies", "amount": 1.6286, "explanation": ""}]


def test_points_and_amounts_read_without_float_noise(scored, client_for, settings):
    """Points as stored by older runs (73.82000000000001) and 万元 amounts with four decimals read by the rule."""
    settings.POINTS_POLICY_PROVIDERS = [
        "kechuang.points.policies.points_loan",
        "tests.points.test_diagnosis.noisy_policy",
    ]
    result = PointsResult.objects.get(enterprise=scored["a"])
    PointsResult.objects.filter(pk=result.pk).update(
        points=1.4000000000000001, credit={**result.credit, "amount": 695.4817}
    )
    PointsResult.objects.filter(enterprise=scored["b"]).update(points=73.82000000000001)
    client = client_for(scored["users"]["bureau_staff"])
    board = client.get(reverse("points:leaderboard")).content.decode()
    assert '<td class="num">73.82</td>' in board and '<td class="num">1.4</td>' in board
    firm = client.get(reverse("points:firm", args=[scored["a"].uscc])).content.decode()
    assert 'data-testid="points-value">1.4</div>' in firm and '<div class="n">695.48 万元</div>' in firm
    page = client.get(reverse("points:diagnosis", args=[scored["a"].uscc])).content.decode()
    assert "<strong>1.4</strong> 分" in page
    assert '<td class="num">695.48 万元</td>' in page and '<td class="num">1.63 万元</td>' in page
    pdf = client.get(reverse("points:diagnosis_pdf", args=[scored["a"].uscc]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "695.48 万元" in text and "1.63 万元" in text
    for noise in ("1.4000000000000001", "695.4817", "1.6286", "73.82000000000001"):
        assert noise not in board + firm + page + text, noise
