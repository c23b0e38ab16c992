"""Suggesting which firms belong on which segment of a chain, each suggestion with its reason.

Policy:
- A segment names GB/T 4754 codes (a class of 4 digits, a group of 3 or a division of 2), keywords and
  products. A firm's industry class inside a named code ties it to the segment, the more strongly the finer
  the code (`class_score` > `group_score` > `division_score`); a class in the same group as a named class
  but not that class ties it weakly (`neighbour_score`).
- Each distinct keyword or product found in the firm's name or its product description adds `term_score`,
  up to `term_cap`. The score is code + words, at most 1; a firm is suggested at `threshold` or above.
- Unknown is not a mismatch: a firm without a known industry code can still be suggested by its words, and a
  firm without words by its code; a firm with neither is never suggested (there is nothing to go on).
- Set-based: one pass per segment over the whole firm frame; the reason is rebuilt from the stored evidence
  (code matched, words found), so a confirmed placement can always say why it was suggested.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

CODE_LEVELS = ("class", "group", "division", "neighbour")
LEVEL_LABELS = {"class": "小类", "group": "中类", "division": "大类", "neighbour": "同中类相邻小类"}

SEGMENT_SCHEMA = {
    "segment_id": pl.Int64,
    "codes": pl.List(pl.Utf8),
    "keywords": pl.List(pl.Utf8),
    "products": pl.List(pl.Utf8),
}
FIRM_SCHEMA = {"uscc": pl.Utf8, "name": pl.Utf8, "industry_code": pl.Utf8, "text": pl.Utf8}
RESULT_SCHEMA = {
    "uscc": pl.Utf8,
    "segment_id": pl.Int64,
    "score": pl.Float64,
    "code_level": pl.Utf8,
    "matched_code": pl.Utf8,
    "terms": pl.List(pl.Utf8),
}


def _code_match(codes: list[str], params: Mapping) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(score, level, matched code) expressions over `industry_code` for one segment's codes: the best tie."""
    level_score = {
        "class": params["class_score"],
        "group": params["group_score"],
        "division": params["division_score"],
        "neighbour": params["neighbour_score"],
    }
    candidates = []  # (score, level, code, condition)
    ind = pl.col("industry_code")
    for code in codes:
        code = str(code).strip()
        level = {4: "class", 3: "group", 2: "division"}.get(len(code))
        if level is None:
            continue
        candidates.append((level_score[level], level, code, ind.str.starts_with(code)))
        if level == "class":
            candidates.append(
                (level_score["neighbour"], "neighbour", code, ind.str.starts_with(code[:3]) & (ind != code))
            )
    candidates.sort(key=lambda c: -c[0])  # the first condition that holds is the strongest tie
    score, level, matched = pl.lit(0.0), pl.lit(None, pl.Utf8), pl.lit(None, pl.Utf8)
    for s, lv, code, cond in reversed(candidates):
        cond = ind.is_not_null() & cond
        score = pl.when(cond).then(pl.lit(float(s))).otherwise(score)
        level = pl.when(cond).then(pl.lit(lv)).otherwise(level)
        matched = pl.when(cond).then(pl.lit(code)).otherwise(matched)
    return score, level, matched


def _terms(words: list[str]) -> pl.Expr:
    """The distinct words of the segment found in the firm's name or description, in the segment's order."""
    seen = list(dict.fromkeys(w.strip() for w in words if w and w.strip()))
    if not seen:
        return pl.lit([], dtype=pl.List(pl.Utf8))
    haystack = pl.concat_str([pl.col("name").fill_null(""), pl.col("text").fill_null("")], separator=" ")
    return pl.concat_list(
        [pl.when(haystack.str.contains(w, literal=True)).then(pl.lit(w)).otherwise(None) for w in seen]
    ).list.drop_nulls()


def suggest(segments: pl.DataFrame, firms: pl.DataFrame, params: Mapping) -> pl.DataFrame:
    """Suggested (uscc, segment) pairs with their score and evidence, best first within each segment."""
    firms = firms.select(
        [pl.col(c).cast(t) if c in firms.columns else pl.lit(None, t).alias(c) for c, t in FIRM_SCHEMA.items()]
    )
    parts = []
    for seg in segments.iter_rows(named=True):
        code_score, level, matched = _code_match(list(seg["codes"] or []), params)
        terms = _terms([*(seg["keywords"] or []), *(seg["products"] or [])])
        scored = firms.select(
            "uscc",
            pl.lit(seg["segment_id"], pl.Int64).alias("segment_id"),
            code_score.alias("code_score"),
            level.alias("code_level"),
            matched.alias("matched_code"),
            terms.alias("terms"),
        ).with_columns(
            pl.min_horizontal(
                pl.col("code_score")
                + pl.min_horizontal(
                    pl.col("terms").list.len() * params["term_score"], pl.lit(float(params["term_cap"]))
                ),
                pl.lit(1.0),
            )
            .round(4)
            .alias("score"),
        )
        parts.append(scored.filter(pl.col("score") >= params["threshold"] - 1e-9))
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    out = pl.concat(parts).select(list(RESULT_SCHEMA))
    return out.cast(RESULT_SCHEMA).sort(["segment_id", "score", "uscc"], descending=[False, True, False])


def reason(evidence: Mapping, industry_names: Mapping[str, str] | None = None) -> str:
    """Why a firm was suggested for a segment, in Chinese, from its stored evidence
    (`code_level`, `matched_code`, `industry_code`, `terms`, `score`)."""
    names = industry_names or {}
    parts = []
    level, code = evidence.get("code_level"), evidence.get("matched_code")
    firm_code = evidence.get("industry_code")

    def named(c) -> str:
        """3464（制冷、空调设备制造）, or the bare code followed by a space before Chinese text."""
        return f"{c}（{names[c]}）" if c in names else f"{c or '未知'} "

    if level and code:
        if level == "neighbour":
            parts.append(f"行业代码 {named(firm_code)}与本环节的 {named(code)}同属一个中类")
        elif level == "class":
            parts.append(f"行业小类 {named(firm_code)}与本环节一致")
        else:
            parts.append(f"行业代码 {named(firm_code)}属于本环节的{LEVEL_LABELS[level]} {named(code)}".rstrip())
    terms = list(evidence.get("terms") or [])
    if terms:
        parts.append("企业名称或主营产品含" + "".join(f"“{t}”" for t in terms))
    if not parts:
        return "无匹配依据"
    score = evidence.get("score")
    tail = f"；匹配度 {score:.2f}" if isinstance(score, (int, float)) else ""
    return "；".join(parts) + tail
