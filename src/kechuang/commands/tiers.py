"""`kechuang tiers …`: evaluate tier rule sets on a facts file, run the YAML cases, list rule sets.

Stateless: reads files, writes files, never touches Django or a database.
Exit codes: 0 success; 1 YAML cases failed; 2 bad input (missing columns, malformed cells, bad arguments).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from kechuang.commands.common import EXIT_BAD_INPUT, report_problems


def register(subparsers) -> None:
    parser = subparsers.add_parser("tiers", help="梯队认定规则：评估、案例测试、规则集列表")
    sub = parser.add_subparsers(dest="tiers_command", metavar="SUBCOMMAND")

    ev = sub.add_parser("evaluate", help="按规则集评估事实表中的企业梯队")
    ev.add_argument("--input", required=True, help="事实表 .csv 或 .xlsx（数据字典的 facts CSV 格式）")
    ev.add_argument("--as-of", required=True, help="评估基准日 YYYY-MM-DD")
    ev.add_argument("--tier", action="append", default=None, help="梯队或规则集 id，可重复；默认全部")
    ev.add_argument("--local-set", default=None, help="地方规则变体，如 jinan（默认黄埔/宿迁）")
    ev.add_argument("--explain", action="store_true", help="输出 explanation 列（JSON）")
    ev.add_argument("--output", required=True, help="结果文件 .csv 或 .xlsx")
    ev.set_defaults(handler=_evaluate)

    test = sub.add_parser("test", help="运行全部规则集 YAML 案例")
    test.add_argument("--ruleset", action="append", default=None, help="只运行这些规则集的案例")
    test.set_defaults(handler=_test)

    ls = sub.add_parser("list", help="列出某日有效的规则集及其参数（标出未核实参数）")
    ls.add_argument("--as-of", default=None, help="YYYY-MM-DD，默认今天")
    ls.set_defaults(handler=_list)
    parser.set_defaults(handler=lambda args: (parser.print_help(), 0)[1])


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        print(f"错误：日期“{text}”无效，应为 YYYY-MM-DD", file=sys.stderr)
        return None


def _evaluate(args: argparse.Namespace) -> int:
    from kechuang.engine import io
    from kechuang.engine.rules import ConditionError, RuleSetError, evaluate, for_file

    as_of = _date(args.as_of)
    if as_of is None:
        return 2
    try:
        panel, problems = io.read_facts(args.input)
    except io.FactsFileError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if report_problems(args.input, problems):
        return EXIT_BAD_INPUT
    try:
        results = evaluate(panel, as_of, args.tier, local_set=args.local_set, explain=args.explain)
    except (RuleSetError, ConditionError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    try:
        io.write_frame(for_file(results), args.output)
    except (io.FactsFileError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    counts = results.group_by("tier", "qualified").len().sort("tier", "qualified")
    print(
        f"已评估 {panel['uscc'].n_unique()} 家企业、{results['tier'].n_unique()} 个梯队，"
        f"结果写入 {args.output}"
    )
    for tier, qualified, n in counts.iter_rows():
        print(f"  {tier:<18} {qualified:<8} {n}")
    return 0


def _test(args: argparse.Namespace) -> int:
    from kechuang.engine.rules.cases import case_files, coverage, load_cases, run_file

    total = failed = gaps = 0
    for path in case_files():
        if args.ruleset and load_cases(path)["ruleset"] not in args.ruleset and path.stem not in args.ruleset:
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
    from kechuang.engine.rules import list_rulesets

    as_of = _date(args.as_of) if args.as_of else dt.date.today()
    if as_of is None:
        return 2
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
