"""`kechuang tiers …`: evaluate tier rule sets on a facts file, run the YAML cases, list rule sets.

Stateless: reads files, writes files, never touches Django or a database.
Exit codes: 0 success; 1 YAML cases failed; 2 bad input (missing columns, malformed cells, bad arguments).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time

from kechuang.commands.common import EXIT_BAD_INPUT, fail, report_problems
from kechuang.engine import clock


def register(subparsers) -> None:
    parser = subparsers.add_parser("tiers", help="梯队认定规则：评估、案例测试、规则集列表")
    sub = parser.add_subparsers(dest="tiers_command", metavar="SUBCOMMAND")

    ev = sub.add_parser("evaluate", help="按规则集评估事实表中的企业梯队")
    ev.add_argument("--input", required=True, help="事实表 .csv 或 .xlsx（数据字典的 facts CSV 格式）")
    ev.add_argument("--as-of", required=True, help="评估基准日 YYYY-MM-DD")
    ev.add_argument("--tier", action="append", default=None, help="梯队或规则集 id，可重复；默认全部")
    ev.add_argument("--local-set", default=None, help="地方规则变体，如 jinan（默认黄埔/宿迁）")
    ev.add_argument(
        "--explain",
        action="store_true",
        help="另输出 explanation 列（各条件的取值、门槛与结论，JSON）和 short_of 列（差一项达标时所差的那一项），"
        "并打印评估用时",
    )
    ev.add_argument("--output", required=True, help="结果文件 .csv 或 .xlsx")
    ev.set_defaults(handler=_evaluate)

    test = sub.add_parser("test", help="运行全部规则集 YAML 案例")
    test.add_argument("--ruleset", action="append", default=None, help="只运行这些规则集的案例")
    test.set_defaults(handler=_test)

    ls = sub.add_parser("list", help="列出某日有效的规则集及其参数（标出未核实参数）")
    ls.add_argument("--as-of", default=None, help="YYYY-MM-DD，默认今天")
    ls.set_defaults(handler=_list)
    parser.set_defaults(handler=lambda args: (parser.print_help(), 0)[1])


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Enterprises named in the "not evaluated" note of the summary.
SHOWN_USCCS = 5


def _date(text: str) -> dt.date | None:
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        print(f"错误：日期“{text}”无效，应为 YYYY-MM-DD", file=sys.stderr)
        return None


def _rulesets(as_of: dt.date, tiers: list[str] | None, local_set: str | None):
    """The rule sets to evaluate, de-duplicated, or a Chinese message naming what is wrong."""
    from kechuang.engine.tiers import RuleSetError
    from kechuang.engine.tiers.model import all_rulesets, rulesets_in_force, select_rulesets

    every = all_rulesets()
    live = rulesets_in_force(as_of)
    if not live:
        first = min(r.effective_from for r in every)
        return None, f"{as_of} 没有生效的梯队规则集（最早的规则集自 {first} 起生效），请检查 --as-of"
    live_tiers = list(dict.fromkeys(r.tier for r in live))
    known = set(live_tiers) | {r.id for r in live}
    unknown = [t for t in dict.fromkeys(tiers or []) if t not in known]
    if unknown:
        names = "、".join(f"“{t}”" for t in unknown)
        return None, f"{as_of} 没有生效的梯队规则 {names}（该日可用：{'、'.join(live_tiers)}）"
    variants = sorted({r.variant for r in live if r.variant and r.variant != "national"})
    if local_set is not None and local_set not in variants:
        return None, f"未知的地方规则变体“{local_set}”（{as_of} 可用：{'、'.join(variants)}）"
    try:
        chosen = select_rulesets(as_of, list(dict.fromkeys(tiers)) if tiers else None, local_set)
    except RuleSetError as exc:
        return None, str(exc)
    # `--tier x --tier x`, or a tier and the rule set id it resolves to, evaluate that rule set once.
    return list({r.id: r for r in chosen}.values()), None


def _not_evaluated(panel, results, chosen, as_of: dt.date) -> list[str]:
    """Notes naming the enterprises of the file left out because they have no figures for a fiscal year."""
    import polars as pl

    from kechuang.engine.derive import LAGS

    notes = []
    everyone = panel.select(pl.col("uscc").unique(maintain_order=True))
    by_year: dict[int, list[str]] = {}
    for r in chosen:
        by_year.setdefault(as_of.year - r.fiscal_year_offset, []).append(r.tier)
    for year, tiers in sorted(by_year.items()):
        done = results.filter(pl.col("tier").is_in(tiers)).select("uscc")
        left = everyone.join(done, on="uscc", how="anti", maintain_order="left")["uscc"].to_list()
        if left:
            shown = "、".join(left[:SHOWN_USCCS]) + (" 等" if len(left) > SHOWN_USCCS else "")
            notes.append(
                f"{len(left)} 家企业没有 {year - LAGS[-1]}–{year} 年度的任何数据"
                f"（规则按 {year} 财年评估），未参与评估：{shown}"
            )
    return notes


def _evaluate(args: argparse.Namespace) -> int:
    from kechuang.engine import facts_file, io
    from kechuang.engine.tiers import ConditionError, RuleSetError, evaluate, for_file
    from kechuang.reference.load import facts_codes

    as_of = _date(args.as_of)
    if as_of is None:
        return EXIT_BAD_INPUT
    try:
        io.check_output(args.output)
    except io.FactsFileError as exc:
        return fail(str(exc))
    chosen, problem = _rulesets(as_of, args.tier, args.local_set)
    if problem:
        return fail(problem)
    try:
        read = facts_file.read_facts(args.input, codes=facts_codes())
    except io.FactsFileError as exc:
        return fail(str(exc))
    panel = read.frame
    if report_problems(args.input, read.problems):
        return EXIT_BAD_INPUT
    if panel.is_empty():
        return fail(f"{args.input} 没有数据行（只有表头）")
    started = time.perf_counter()
    try:
        results = evaluate(panel, as_of, [r.id for r in chosen], local_set=args.local_set, explain=args.explain)
    except (RuleSetError, ConditionError) as exc:
        return fail(str(exc))
    seconds = time.perf_counter() - started
    notes = _not_evaluated(panel, results, chosen, as_of)
    if results.is_empty():
        return fail(f"{args.input} 中没有可评估的企业：{'；'.join(notes)}；请检查 --as-of 或输入文件")
    try:
        io.write_frame(for_file(results), args.output)
    except io.FactsFileError as exc:
        return fail(str(exc))
    counts = results.group_by("tier", "qualified").len().sort("tier", "qualified")
    evaluated, total = results["uscc"].n_unique(), panel["uscc"].n_unique()
    of_total = f"（文件中共 {total} 家）" if evaluated != total else ""
    tiers = len({r.tier for r in chosen})
    print(f"已评估 {evaluated} 家企业{of_total}、{tiers} 个梯队，结果写入 {args.output}")
    for tier, qualified, n in counts.iter_rows():
        print(f"  {tier:<18} {qualified:<8} {n}")
    if args.explain:  # the export of every firm's explanation (pages compute one firm's on demand)
        print(f"含全部企业的判定说明，评估用时 {seconds:.2f} 秒")
    for note in notes:
        print(f"提示：{note}", file=sys.stderr)
    return 0


def _test(args: argparse.Namespace) -> int:
    from kechuang.engine.tiers.cases import case_files, coverage, load_cases, run_file

    files = [(path, load_cases(path)["ruleset"]) for path in case_files()]
    if args.ruleset:
        known = {name for path, ruleset in files for name in (ruleset, path.stem)}
        unknown = [r for r in dict.fromkeys(args.ruleset) if r not in known]
        if unknown:
            names = "、".join(f"“{r}”" for r in unknown)
            return fail(f"没有规则集 {names} 的案例（可用：{'、'.join(sorted(known))}）")
    total = failed = gaps = 0
    for path, ruleset in files:
        if args.ruleset and ruleset not in args.ruleset and path.stem not in args.ruleset:
            continue
        results = run_file(path)
        bad = [r for r in results if not r.ok]
        uncovered = coverage(path)
        total += len(results)
        failed += len(bad)
        gaps += len(uncovered)
        print(f"{path.stem:<20} {len(results) - len(bad)}/{len(results)} 通过")
        for r in bad:
            print(f"  失败：{r.name}")
            for problem in r.problems:
                print(f"    {problem}")
        for problem in uncovered:
            print(f"  覆盖不全：{problem}")
    print(f"合计 {total - failed}/{total} 通过" + (f"，{gaps} 处覆盖不全" if gaps else ""))
    return 1 if failed or gaps else 0


def _list(args: argparse.Namespace) -> int:
    from kechuang.engine.tiers import list_rulesets

    as_of = _date(args.as_of) if args.as_of else clock.today()
    if as_of is None:
        return EXIT_BAD_INPUT
    for r in list_rulesets(as_of):
        default = "（默认）" if r["default"] else ""
        print(
            f"{r['id']}@{r['version']}  {r['tier']}  {r['name_zh']}{default}  "
            f"{r['effective_from']}–{r['effective_to'] or ''}"
        )
        if r.get("notes"):
            print(f"    注意：{r['notes']}")
        for p in r["parameters"]:
            flag = {"V": "已核实", "P": "部分核实", "U": "未核实"}[p["verified"]]
            print(f"    {p['path']:<28} {flag:<5} {p['value']!s:.60}")
    return 0
