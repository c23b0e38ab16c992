"""`kechuang policies …`: check policy files and simulate them over a facts CSV (stateless, no Django).

    kechuang policies list [--dir DIR] [--as-of DATE]
    kechuang policies check FILE...
    kechuang policies simulate --policy ID|FILE --input FACTS --as-of YYYY-MM-DD --output OUT
                               [--payouts CSV] [--compare ID|FILE] [--dir DIR]

`simulate` writes one row per enterprise (uscc, eligible, amount, failed, missing, gaps, and the version id,
the granted amount after the budget, and the facts snapshot as JSON) and prints a summary. `--policy` takes a
shipped policy id or the path of a (draft) YAML file; `--compare` simulates a second version and prints both
summaries side by side. Exit codes: 0 done, 2 bad input (unreadable file, missing column, invalid policy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from kechuang.commands.common import EXIT_BAD_INPUT, fail, parse_date, report_problems


def register(subparsers) -> None:
    parser = subparsers.add_parser("policies", help="政策规则：校验、模拟测算（无需数据库）")
    sub = parser.add_subparsers(dest="policies_command", metavar="SUBCOMMAND")

    p_list = sub.add_parser("list", help="列出政策及其版本")
    p_list.add_argument("--dir", help="政策目录（默认：内置示例）")
    p_list.add_argument("--as-of", help="只列出该日有效的版本（YYYY-MM-DD）")
    p_list.set_defaults(handler=cmd_list)

    p_check = sub.add_parser("check", help="校验政策 YAML 文件")
    p_check.add_argument("files", nargs="+")
    p_check.set_defaults(handler=cmd_check)

    p_sim = sub.add_parser("simulate", help="按某一日期对事实表中所有企业模拟政策兑现")
    p_sim.add_argument("--policy", required=True, help="政策 id，或政策 YAML 文件路径（可为草稿）")
    p_sim.add_argument("--input", required=True, help="事实表 CSV（每企业每年一行）")
    p_sim.add_argument("--as-of", required=True, help="测算日期 YYYY-MM-DD")
    p_sim.add_argument("--output", required=True, help="结果 CSV")
    p_sim.add_argument("--payouts", help="历史兑现记录 CSV：uscc, policy, year, amount（万元）")
    p_sim.add_argument("--compare", help="另一个版本（政策 id 或 YAML 路径），并列比较")
    p_sim.add_argument("--dir", help="政策目录（默认：内置示例）")
    p_sim.set_defaults(handler=cmd_simulate)


def _version(spec: str, as_of: dt.date, directory: str | None):
    """A policy id (shipped or in --dir) or a YAML path → the version dict in force on as_of."""
    from kechuang.engine.policies import load_policies, load_policy_file

    path = Path(spec)
    if spec.endswith((".yaml", ".yml")) or path.exists():
        policy = load_policy_file(path)
    else:
        policies = load_policies(directory)
        if spec not in policies:
            raise LookupError(f"未找到政策“{spec}”（可用：{'、'.join(sorted(policies))}）")
        policy = policies[spec]
    version = policy.version_on(as_of)
    if version is None:
        dates = "、".join(f"{v['effective_from']}–{v.get('effective_to') or '长期'}" for v in policy.versions)
        raise LookupError(f"政策“{policy.id}”在 {as_of} 没有有效版本（有效期：{dates}）")
    return version


def cmd_list(args) -> int:
    from kechuang.engine.policies import PolicyError, load_policies
    from kechuang.engine.policies.model import DELIVERIES

    try:
        as_of = parse_date(args.as_of) if args.as_of else None
        policies = load_policies(args.dir)
    except (PolicyError, ValueError) as exc:
        return fail(getattr(exc, "message", str(exc)))
    for policy in policies.values():
        for v in policy.versions:
            if as_of and policy.version_on(as_of) is not v:
                continue
            print(
                f"{v['version_id']}\t{v['name']}\t{DELIVERIES[v['delivery']]}\t"
                f"{v['effective_from']}–{v.get('effective_to') or '长期'}\t"
                f"{v['verification']}\t{v['document']}"
            )
    return 0


def cmd_check(args) -> int:
    from kechuang.engine.policies import PolicyError, load_policy_file

    bad = 0
    for name in args.files:
        try:
            policy = load_policy_file(name)
        except PolicyError as exc:
            print(f"✗ {exc.message}", file=sys.stderr)
            bad += 1
            continue
        print(f"✓ {name}：{policy.id}，{len(policy.versions)} 个版本")
    return EXIT_BAD_INPUT if bad else 0


def cmd_simulate(args) -> int:
    from kechuang.engine.policies import PolicyError, compare, simulate
    from kechuang.engine.policies import csvio as pio
    from kechuang.reference.load import facts_codes

    try:
        as_of = parse_date(args.as_of)
        version = _version(args.policy, as_of, args.dir)
        other = _version(args.compare, as_of, args.dir) if args.compare else None
        panel, problems = pio.read_panel(args.input, codes=facts_codes())
        payouts = pio.read_payouts(args.payouts) if args.payouts else None
    except (PolicyError, pio.InputError, LookupError, ValueError) as exc:
        return fail(getattr(exc, "message", str(exc)))
    if report_problems(args.input, problems):
        return EXIT_BAD_INPUT
    sim = simulate(version, panel, as_of, payouts=payouts)
    try:
        pio.write_results(sim.policy_results(sim.versions[0].id), args.output)
    except pio.InputError as exc:
        return fail(exc.message)
    except OSError as exc:
        return fail(f"无法写入 {args.output}：{exc.strerror or exc}")
    for note in sim.notes:
        print(f"提示：{note}")
    _print_summary(sim.summary().row(0, named=True))
    if other is not None:
        _, both = compare(other, version, panel, as_of, payouts=payouts)
        print("\n并列比较（a = --compare，b = --policy）：")
        for row in both.iter_rows(named=True):
            print(
                f"  [{row['side']}] {row['version_id']}：符合 {row['eligible']} 家，"
                f"未知 {row['unknown']} 家，"
                f"应兑现 {row['demand']} 万元，预算内兑现 {row['granted']} 万元"
            )
    print(f"结果已写入 {args.output}")
    return 0


def _print_summary(row: dict) -> None:
    budget = f"{row['budget']} 万元" if row["budget"] is not None else "未设定"
    print(
        f"政策 {row['version_id']}：企业 {row['firms']} 家；符合 {row['eligible']} 家，"
        f"不符合 {row['not_eligible']} 家，"
        f"待补数据（未知）{row['unknown']} 家"
    )
    print(
        f"应兑现合计 {row['demand']} 万元；年度预算 {budget}；预算内兑现 {row['granted']} 万元"
        + (f"；缺口 {row['shortfall']} 万元（分配方式：{row['allocation']}）" if row["shortfall"] else "")
    )
    if row["unknown"]:
        print(f"未知企业若补齐数据后均符合，最多另需 {row['potential_unknown']} 万元")


def main(argv=None) -> int:  # pragma: no cover - convenience for `python -m`
    parser = argparse.ArgumentParser(prog="kechuang")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args))
