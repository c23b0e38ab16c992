"""Files for the stateless `policies` command: the facts CSV (+ policy inputs), payout history, results.

Policy: the canonical facts columns are read by the one reader (engine/facts_file.py, `read_facts`, .csv or
.xlsx), so a file is judged the same way everywhere. That reader knows only the facts columns, so the
optional policy-input columns of a CSV (inputs.py: `carrier`, `loan_amount`, …; English name or
Chinese label as header) are read here, vectorised: empty → unknown, a value that is not a number → a
Chinese error naming row and column. Results are written by io.write_frame (.csv with BOM, or .xlsx) with
money as exact 万元 text (4 places) and the facts snapshot as JSON.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kechuang.engine import facts
from kechuang.engine.policies import inputs


class InputError(ValueError):
    """A file that cannot be used; `message` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _headers(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline()
    except FileNotFoundError:
        raise InputError(f"找不到文件 {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} 不是 UTF-8 编码的 CSV（请在 Excel 中另存为“CSV UTF-8”）") from None
    except OSError as exc:
        raise InputError(f"无法读取 {path}：{exc.strerror or exc}") from None
    if not first.strip():
        raise InputError(f"{path} 是空文件或缺少表头行")
    return [h.strip() for h in first.rstrip("\r\n").split(",")]


def _policy_input_for(header: str) -> facts.Column | None:
    text = header.strip()
    for col in inputs.POLICY_INPUTS:
        base = text.split("(", 1)[0].split("（", 1)[0].strip()
        if text.lower() == col.name or base == col.label:
            return col
    return None


def read_policy_inputs(path: str) -> pl.DataFrame | None:
    """uscc, year + the policy-input columns present in the file (None when none is)."""
    headers = _headers(path)
    found = {h: _policy_input_for(h) for h in headers}
    found = {h: c for h, c in found.items() if c is not None}
    if not found:
        return None
    key = {}
    for h in headers:
        col = facts.header_to_column(h)
        if col is not None and col.name in ("uscc", "year"):
            key[h] = col.name
    if set(key.values()) != {"uscc", "year"}:
        raise InputError(f"{path} 缺少必填列：统一社会信用代码(uscc) 或 年度(year)")
    raw = pl.read_csv(path, columns=[*key, *found], infer_schema=False, encoding="utf8-lossy")
    raw = raw.rename({**key, **{h: c.name for h, c in found.items()}})
    exprs = [pl.col("uscc").str.strip_chars(), pl.col("year").str.strip_chars().cast(pl.Int64, strict=False)]
    checks = []
    for col in found.values():
        text = pl.col(col.name).str.strip_chars().str.replace_all(",", "")
        text = pl.when(text == "").then(None).otherwise(text)
        if col.kind == facts.MONEY:
            value = text.cast(pl.Float64, strict=False)
            checks.append((col, text.is_not_null() & (value.is_null() | (value < 0))))
            exprs.append(value.alias(col.name))
        else:
            exprs.append(text.alias(col.name))
    frame = raw.with_row_index("_line", offset=2)
    for col, bad in checks:
        rows = frame.filter(bad)["_line"].head(5).to_list()
        if rows:
            raise InputError(f"{path} 第 {'、'.join(map(str, rows))} 行“{col.label}”不是有效的非负金额（万元）")
    return raw.select(exprs)


def read_panel(path: str, *, codes) -> tuple[pl.DataFrame, list]:
    """The facts panel (the one reader, facts_file.read_facts, checking `codes`) joined with the policy-input
    columns of a CSV file.

    Returns the panel and the reader's problems (facts_file.Problem), without its "unknown column" warnings
    for the policy-input columns read here. Raises InputError (Chinese) when the file cannot be read or a
    required column is missing."""
    from kechuang.engine import facts_file

    try:
        read = facts_file.read_facts(path, codes=codes)
    except facts_file.FactsFileError as exc:
        raise InputError(str(exc)) from None
    panel, problems = read.frame, read.problems
    if read.errors:  # the command reports them and stops; the policy inputs of a broken file are not read
        return panel, problems
    extra = read_policy_inputs(path) if str(path).lower().endswith(".csv") else None
    if extra is not None:
        panel = panel.join(extra.unique(["uscc", "year"], keep="last"), on=["uscc", "year"], how="left")
        problems = [p for p in problems if not (p.row is None and _policy_input_for(p.column))]
    return panel, problems


def read_payouts(path: str) -> pl.DataFrame:
    """Payout history: uscc, policy, year, amount (万元)."""
    headers = _headers(path)
    need = ["uscc", "policy", "year", "amount"]
    missing = [n for n in need if n not in headers]
    if missing:
        raise InputError(f"{path} 缺少列：{'、'.join(missing)}（需要 uscc, policy, year, amount）")
    raw = pl.read_csv(path, columns=need, infer_schema=False)
    frame = raw.with_columns(
        pl.col("year").cast(pl.Int64, strict=False), pl.col("amount").cast(pl.Float64, strict=False)
    )
    bad = (
        frame.with_row_index("_line", offset=2)
        .filter(pl.col("year").is_null() | pl.col("amount").is_null() | (pl.col("amount") < 0))["_line"]
        .head(5)
        .to_list()
    )
    if bad:
        raise InputError(f"{path} 第 {'、'.join(map(str, bad))} 行的年度或金额无效")
    return frame


RESULT_COLUMNS = (
    "uscc",
    "eligible",
    "amount",
    "failed",
    "missing",
    "gaps",
    "potential_amount",
    "granted",
    "stacked_by",
    "version_id",
    "as_of",
    "facts",
)


def write_results(results: pl.DataFrame, path: str) -> None:
    """One row per enterprise: money as exact 万元 text, the facts snapshot as JSON (.csv or .xlsx)."""
    from kechuang.engine import io

    out = results.select(
        [pl.col(c) for c in RESULT_COLUMNS if c in results.columns and c != "facts"]
        + [pl.col("facts").struct.json_encode().alias("facts")]
    ).with_columns(pl.col(pl.Decimal).cast(pl.Utf8))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        io.write_frame(out, path)
    except io.FactsFileError as exc:
        raise InputError(str(exc)) from None
