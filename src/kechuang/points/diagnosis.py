"""The diagnosis report (诊断书) of one firm: the data, the page and the PDF.

Policy:
- Everything comes from stored results: the firm's PointsResult (with its contributions, percentiles and
  credit line), its history across runs of the same scheme, and the latest tier run's results with gaps.
  No scoring happens here, so a report of a past run shows exactly what that run computed.
- The PDF is WeasyPrint over a print template with the Noto Sans CJK SC font (Debian fonts-noto-cjk),
  which WeasyPrint embeds as a subset; the charts are inline SVG drawn here (no JavaScript in a PDF).
- A report costs a handful of queries (result, history, tiers, alerts), independent of the city's size.
"""

from __future__ import annotations

import json
import math

import polars as pl
from django.template.loader import render_to_string
from django.utils import timezone

from kechuang.engine.labels import gap_amounts, label
from kechuang.engine.points import explain_changes, explain_firm
from kechuang.engine.rounding import half_up_value
from kechuang.tiers import selectors as tier_selectors
from kechuang.tiers.models import PIPELINE, TIER_LABELS

from . import catalogue, policies, schemes, selectors


def result_frames(result, scheme) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored result as a one-row `score_frame`-shaped frame, and its indicator-percentile frame."""
    row = {
        "uscc": result.enterprise.uscc,
        "year": result.run.year,
        "stage": result.stage or None,
        "points": result.points,
        "rank": result.rank,
        "percentile": result.percentile,
        "stage_rank": result.stage_rank,
        "stage_percentile": result.stage_percentile,
        "list": result.list_id or None,
        "list_label": result.list_label or None,
        "missing": result.missing or None,
        "scheme": result.run.scheme_key,
    }
    for key in ("industry", "region", "carrier"):
        row[f"{key}_rank"] = getattr(result, f"{key}_rank")
        row[f"{key}_percentile"] = getattr(result, f"{key}_percentile")
    q = {"uscc": result.enterprise.uscc}
    for ind in scheme.indicators:
        row[f"c_{ind.id}"] = result.contributions.get(ind.id)
        row[f"r_{ind.id}"] = result.raw.get(ind.id)
        row[f"n_{ind.id}"] = result.normalised.get(ind.id)
        q[f"q_{ind.id}"] = result.percentiles.get(ind.id)
    return _frame(row), _frame(q)


# The text columns of a stored result; every other column is a number.
TEXT_COLUMNS = frozenset({"uscc", "stage", "list", "list_label", "missing", "scheme"})


def _frame(row: dict) -> pl.DataFrame:
    frame = pl.DataFrame([row], infer_schema_length=None)
    # An all-unknown column has no type: a text column stays text (an unknown stage compares with a stage),
    # any other is a number (the engine formats it as one).
    return frame.with_columns(
        [pl.col(c).cast(pl.Utf8 if c in TEXT_COLUMNS else pl.Float64) for c, t in frame.schema.items() if t == pl.Null]
    )


def tier_status(enterprise) -> tuple[list[dict], list[dict], object]:
    """(all tiers with status and gap texts, the next pipeline level's tiers, the tier run). Failed conditions,
    missing fields and gaps come as Chinese text: the diagnosis goes to the firm."""
    run = tier_selectors.latest_run()
    if run is None:
        return [], [], None
    by_tier = {}
    for r in run.results.filter(enterprise=enterprise):
        conditions = r.condition_labels
        gaps = [
            {
                **g,
                "text": "{}——{}：现为 {}，需达到 {}（{}）".format(
                    conditions.get(g.get("condition"), g.get("condition")), label(g.get("field") or ""), *gap_amounts(g)
                ),
            }
            for g in r.gaps or []
        ]
        by_tier[r.tier] = {
            "tier": r.tier,
            "label": TIER_LABELS.get(r.tier, r.tier),
            "qualified": r.qualified,
            "route": r.route,
            "failed": [conditions.get(f, f) for f in (r.failed or "").split(";") if f],
            "missing": [label(m) for m in (r.missing or "").split(";") if m],
            "gaps": gaps,
        }
    ordered = [by_tier[t] for level in PIPELINE for t in level if t in by_tier]
    ordered += [v for k, v in by_tier.items() if v not in ordered]
    next_level = []
    for level in PIPELINE:
        present = [by_tier[t] for t in level if t in by_tier]
        if present and not any(t["qualified"] == "true" for t in present):
            next_level = present
            break
    return ordered, next_level, run


def build(enterprise, result, user) -> dict:
    """The diagnosis context for a result the caller has already access-checked."""
    run = result.run
    scheme = schemes.run_scheme(run)
    scored, q = result_frames(result, scheme)
    explanation = explain_firm(scored, enterprise.uscc, scheme, percentiles=q)
    past = selectors.history(enterprise, run.scheme_id)
    trend = [
        {"year": r.run.year, "points": r.points, "rank": r.rank, "stage_rank": r.stage_rank}
        for r in past
        if r.run.year <= run.year
    ]
    previous = next((r for r in reversed(past) if r.run.year == run.year - 1), None)
    change = None
    if previous is not None:
        prev_frame, _ = result_frames(previous, scheme)
        change = explain_changes(scored, prev_frame, scheme).row(0, named=True)["message"]
    tiers, next_tiers, tier_run = tier_status(enterprise)
    tiers_by_id = {t["tier"]: t for t in tiers}
    radar = [
        {"label": i["label"], "value": i["stage_percentile"]}
        for i in explanation["indicators"]
        if i["kind"] == "weighted"
    ]
    context = {
        "enterprise": enterprise,
        "result": result,
        "run": run,
        "scheme": scheme,
        "explanation": explanation,
        "stage_size": (run.stage_sizes or {}).get(result.stage),
        "trend": trend,
        "change": change,
        "tiers": tiers,
        "next_tiers": next_tiers,
        "tier_run": tier_run,
        "services": catalogue.match_services(explanation, tiers_by_id, gap_tiers={t["tier"] for t in next_tiers}),
        "policies": policies.policy_items(enterprise, result, run),
        "entitlements_connected": policies.entitlements_connected(),
        "alerts": list(selectors.alerts_for_enterprise(user, enterprise)[:20]),
        "radar": radar,
        "radar_json": json.dumps(
            {
                "labels": [r["label"] for r in radar],
                "values": [None if r["value"] is None else round(r["value"], 1) for r in radar],
            },
            ensure_ascii=False,
        ),
        # Points at two decimals: a stored 1.4000000000000001 would show in the chart's labels.
        "trend_json": json.dumps(
            {"years": [t["year"] for t in trend], "points": [half_up_value(t["points"], 2) for t in trend]}
        ),
        "generated_at": timezone.localtime(),
    }
    return context


def render_html(context: dict, request=None) -> str:
    return render_to_string(
        "points/diagnosis_pdf.html",
        {**context, "radar_svg": radar_svg(context["radar"]), "trend_svg": trend_svg(context["trend"])},
        request,
    )


def render_pdf(context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(context)).write_pdf()


# --------------------------------------------------------------------------------------------------
# Inline SVG charts for the PDF (ECharts draws the same data on the page).


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Advance widths in em of the label font (Noto Sans CJK SC): CJK characters are full width, the rest
# (digits, Latin, 未知's neighbours) at most 0.6 em. Used to keep every radar label inside the drawing.
def _text_width(text: str, font_size: float) -> float:
    return sum(font_size * (1.0 if ord(ch) > 0x2E80 else 0.6) for ch in text)


def radar_svg(items: list[dict], size: int = 300, font_size: float = 9.0) -> str:
    """A radar of stage percentiles (0–100); an unknown value is drawn at the centre and labelled 未知.

    The drawing's box (viewBox) is widened to hold every label, so a long label is never clipped; the page
    then scales the whole drawing to its column (the PDF template sizes the columns to the printable width).
    """
    n = len(items)
    if n < 3:
        return ""
    cx = cy = size / 2
    r = size / 2 - 40

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * value / 100 * math.cos(angle), cy + r * value / 100 * math.sin(angle)

    body, left, right, top, bottom = [], 0.0, float(size), 0.0, float(size)
    for ring in (25, 50, 75, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        body.append(f'<polygon points="{pts}" fill="none" stroke="#cbd5e1" stroke-width="0.6"/>')
    for i, item in enumerate(items):
        x, y = point(i, 100)
        body.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#e2e8f0" stroke-width="0.6"/>')
        lx, ly = point(i, 112)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        value = "未知" if item["value"] is None else f"{item['value']:.0f}"
        text = f"{item['label'][:10]} {value}"
        width = _text_width(text, font_size)
        x0 = {"start": lx, "end": lx - width, "middle": lx - width / 2}[anchor]
        left, right = min(left, x0 - 2), max(right, x0 + width + 2)
        # The text sits on its baseline: ascenders above `ly`, descenders a fifth of the size below.
        top, bottom = min(top, ly - font_size - 2), max(bottom, ly + font_size * 0.25 + 2)
        body.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="{font_size:g}" text-anchor="{anchor}">{_esc(text)}</text>'
        )
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, it["value"] or 0) for i, it in enumerate(items)))
    body.append(f'<polygon points="{pts}" fill="rgba(29,78,216,0.25)" stroke="#1d4ed8" stroke-width="1.2"/>')
    w, h = right - left, bottom - top
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="{left:.1f} {top:.1f} {w:.1f} {h:.1f}" font-family="Noto Sans CJK SC">'
    )
    return head + "".join(body) + "</svg>"


def trend_svg(trend: list[dict], width: int = 420, height: int = 160) -> str:
    known = [t for t in trend if t["points"] is not None]
    if not known:
        return ""
    top = max(max(t["points"] for t in known), 1.0)
    left, bottom, step = 40, height - 24, (width - 60) / max(len(trend) - 1, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC">',
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#94a3b8" stroke-width="0.6"/>',
    ]
    coords = []
    for i, t in enumerate(trend):
        x = left + i * step
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="9" text-anchor="middle">{t["year"]}</text>')
        if t["points"] is not None:
            y = bottom - (bottom - 16) * t["points"] / top
            coords.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1d4ed8"/>')
            parts.append(f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="9" text-anchor="middle">{t["points"]:g}</text>')
    if len(coords) > 1:
        parts.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="#1d4ed8" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)
