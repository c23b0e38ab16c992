"""`kechuang points …`: innovation points from a facts file (stateless, no Django).

    kechuang points score --input FACTS --year YYYY [--scheme ID|FILE] [--as-of DATE] [--carrier CSV]
                          --output OUT(.csv|.xlsx)
    kechuang points schemes [--as-of DATE]
    kechuang points check FILE...

`score` writes one row per enterprise with a row for YYYY, ordered by rank then uscc: uscc, stage, points,
rank, percentile, stage_rank, stage_percentile, list, list_label, industry/region(/carrier) ranks and
percentiles, missing, scheme, then `c_<indicator>` (contributions, which add up to points), `r_<indicator>`
(raw values) and `n_<indicator>` (normalised scores). The scheme version is the one in force on --as-of
(default 31 December of YYYY). Exit codes: 0 done, 2 bad input.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from kechuang.commands.common import EXIT_BAD_INPUT, fail, parse_date


def register(subparsers) -> None:
    parser = subparsers.add_parser("points", help="创新积分：按方案计算积分、排名与榜单（无需数据库）")
    sub = parser.add_subparsers(dest="points_command", metavar="SUBCOMMAND")

    p_score = sub.add_parser("score", help="计算某一年度所有企业的创新积分")
    p_score.add_argument("--input", required=True, help="事实表 CSV/XLSX（每企业每年一行）")
    p_score.add_argument("--year", required=True, type=int, help="积分年度（财务年度）")
    p_score.add_argument("--scheme", default="core18", help="方案 id（内置）或方案 YAML 文件路径，默认 core18")
    p_score.add_argument("--as-of", help="选用方案版本的日期 YYYY-MM-DD（默认：该年度 12 月 31 日）")
    p_score.add_argument("--carrier", help="载体入驻 CSV：uscc, carrier（可选，用于载体内排名）")
    p_score.add_argument("--output", required=True, help="结果文件 .csv 或 .xlsx")
    p_score.set_defaults(handler=cmd_score)

    p_list = sub.add_parser("schemes", help="列出内置积分方案及版本")
    p_list.add_argument("--as-of", help="只列出该日有效的版本（YYYY-MM-DD）")
    p_list.set_defaults(handler=cmd_schemes)

    p_check = sub.add_parser("check", help="校验积分方案 YAML 文件")
    p_check.add_argument("files", nargs="+")
    p_check.set_defaults(handler=cmd_check)


def _scheme(spec: str, as_of: dt.date):
    from kechuang.engine.points import get_scheme, load_scheme_file, select_version

    path = Path(spec)
    if spec.endswith((".yaml", ".yml")) or path.exists():
        versions = load_scheme_file(path)
        return select_version(versions, versions[0].id, as_of)
    return get_scheme(spec, as_of)


def cmd_score(args) -> int:
    import polars as pl

    from kechuang.engine.points import SchemeError, score_points

    try:
        as_of = parse_date(args.as_of) if args.as_of else dt.date(args.year, 12, 31)
        scheme = _scheme(args.scheme, as_of)
    except (ValueError, LookupError, OSError) as exc:
        return fail(str(exc))
    from kechuang.engine.facts_file import read_facts
    from kechuang.engine.io import FactsFileError, check_output, write_frame
    from kechuang.reference.load import facts_codes

    try:
        check_output(args.output)  # before the work: a missing folder is said at once, in Chinese
        read = read_facts(args.input, codes=facts_codes())
    except FactsFileError as exc:
        return fail(str(exc))
    panel, problems = read.frame, read.problems
    errors = [p for p in problems if p.level == "error"]
    for p in problems:
        if p.level != "error":
            print(f"提示：{p}", file=sys.stderr)
    if errors:
        for p in errors[:20]:
            print(f"错误：{p}", file=sys.stderr)
        more = f"（另有 {len(errors) - 20} 处未列出）" if len(errors) > 20 else ""
        return fail(f"输入文件有 {len(errors)} 处数据错误{more}，请修正后重试（未知请留空）")
    missing = [c for c in ("uscc", "year") if c not in panel.columns]
    if missing:
        return fail(f"输入文件缺少必填列：{'、'.join(missing)}")
    if panel.filter(pl.col("year") == args.year).height == 0:
        return fail(f"输入文件中没有 {args.year} 年度的数据")
    carrier = None
    if args.carrier:
        try:
            carrier = pl.read_csv(args.carrier, schema_overrides={"uscc": pl.Utf8, "carrier": pl.Utf8})
        except (OSError, pl.exceptions.PolarsError) as exc:
            return fail(f"无法读取载体文件“{args.carrier}”：{exc}")
    try:
        result = score_points(panel, args.year, scheme, as_of=as_of, carrier=carrier)
    except SchemeError as exc:
        return fail(str(exc))
    result = result.sort(["rank", "uscc"], nulls_last=True)
    try:
        write_frame(result, args.output)
    except FactsFileError as exc:
        return fail(str(exc))
    scored = result.filter(pl.col("points").is_not_null())
    print(
        f"方案 {scheme.key}（{scheme.name}）：{args.year} 年度 {result.height} 家企业，"
        f"计分 {scored.height} 家，结果已写入 {args.output}"
    )
    if not scheme.weights_official:
        print(f"说明：{scheme.weights_note}")
    if result.height > scored.height:
        unscored = result.height - scored.height
        print(f"另有 {unscored} 家企业因“{scheme.stage_rule.label}”未知无法划分阶段，未计分")
    return 0


def cmd_schemes(args) -> int:
    from kechuang.engine.points import SchemeError, load_schemes

    try:
        as_of = parse_date(args.as_of) if args.as_of else None
        schemes = load_schemes()
    except (ValueError, SchemeError) as exc:
        return fail(str(exc))
    for s in schemes:
        if as_of and not (s.effective_from <= as_of and (s.effective_to is None or as_of <= s.effective_to)):
            continue
        until = s.effective_to.isoformat() if s.effective_to else "长期"
        official = "官方权重" if s.weights_official else "本局自定权重"
        print(f"{s.key}\t{s.name}\t{s.effective_from}–{until}\t{official}\t核实：{s.verification}")
    return 0


def cmd_check(args) -> int:
    from kechuang.engine.points import SchemeError, load_scheme_file

    bad = 0
    for name in args.files:
        try:
            versions = load_scheme_file(name)
        except SchemeError as exc:
            print(f"{name}：\n{exc}", file=sys.stderr)
            bad += 1
        except OSError as exc:
            print(f"{name}：无法读取（{exc}）", file=sys.stderr)
            bad += 1
        else:
            print(f"{name}：通过（{'、'.join(v.key for v in versions)}）")
    return EXIT_BAD_INPUT if bad else 0
