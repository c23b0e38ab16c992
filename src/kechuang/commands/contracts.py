"""`kechuang contracts check`: decide the registration of technology contracts in a file (stateless, no Django).

    kechuang contracts check --input CONTRACTS.(csv|xlsx) --as-of YYYY-MM-DD --output OUT.csv

One output row per contract without a row error: contract_no, decision (registered|refused), reason_code, reason,
tech_amount (万元, registered contracts only), under the registration rules in force on --as-of (the application
date). Exit codes: 0 every row decided; 1 some rows had malformed cells (named by file, row and column on stderr;
the other rows are decided and written); 2 unreadable input, bad arguments or no rules in force.
"""

from __future__ import annotations

import sys
from decimal import Decimal

from kechuang.commands.common import MAX_PROBLEMS_SHOWN, fail, parse_date

EXIT_ROW_ERRORS = 1
OUTPUT_COLUMNS = ("contract_no", "decision", "reason_code", "reason", "tech_amount")


def register(subparsers) -> None:
    parser = subparsers.add_parser("contracts", help="技术合同认定登记：按规则审查合同（无需数据库）")
    sub = parser.add_subparsers(dest="contracts_command", metavar="SUBCOMMAND")
    p_check = sub.add_parser("check", help="按申请日期有效的认定登记规则审查文件中的每份合同")
    p_check.add_argument("--input", required=True, help="合同表 .csv（UTF-8/GBK）或 .xlsx")
    p_check.add_argument("--as-of", required=True, help="申请日期 YYYY-MM-DD（决定适用哪一版规则）")
    p_check.add_argument("--output", required=True, help="结果 .csv")
    p_check.set_defaults(handler=cmd_check)


def cmd_check(args) -> int:
    import polars as pl

    from kechuang.engine.io import FactsFileError, check_output, write_frame
    from kechuang.engine.ruledata import RuleDataError
    from kechuang.engine.techtransfer import contracts
    from kechuang.engine.techtransfer.contract_file import read_contracts

    try:
        as_of = parse_date(args.as_of)
        rules = contracts.rules_on(as_of)
        check_output(args.output)
        read = read_contracts(args.input)
    except FactsFileError as exc:
        return fail(exc.message)
    except (RuleDataError, ValueError) as exc:
        return fail(str(exc))
    for p in (p for p in read.problems if p.level == "warning"):
        print(f"提示：{read.name} {p}", file=sys.stderr)
    errors = read.errors
    for p in errors[:MAX_PROBLEMS_SHOWN]:
        print(f"错误：{read.name} {p}" + (f"（值：“{p.value}”）" if p.value else ""), file=sys.stderr)
    if len(errors) > MAX_PROBLEMS_SHOWN:
        print(f"……另有 {len(errors) - MAX_PROBLEMS_SHOWN} 个错误", file=sys.stderr)
    decisions = [(c, contracts.check(c, as_of, rules)) for _, c in read.contracts]
    frame = pl.DataFrame(
        [
            (
                c.contract_no,
                d.decision,
                d.reason_code,
                d.reason,
                None if d.tech_amount is None else f"{d.tech_amount:f}",
            )
            for c, d in decisions
        ],
        schema=dict.fromkeys(OUTPUT_COLUMNS, pl.Utf8),
        orient="row",
    )
    try:
        write_frame(frame, args.output)
    except FactsFileError as exc:
        return fail(exc.message)
    registered = [d for _, d in decisions if d.registered]
    total = sum((d.tech_amount for d in registered), start=Decimal(0))
    print(f"规则：{rules.name}（{rules.key}）")
    print(
        f"共审查 {len(decisions)} 份合同：予以登记 {len(registered)} 份，技术交易额合计 {total:f} 万元；"
        f"未予登记 {len(decisions) - len(registered)} 份" + (f"；{read.rejected_rows} 行有错误未审查" if errors else "")
    )
    print(f"结果已写入 {args.output}")
    return EXIT_ROW_ERRORS if errors else 0
