"""`kechuang calendar …`: working days by the official holiday arrangement (stateless, no Django).

    kechuang calendar add-workdays YYYY-MM-DD N

prints the date N working days after the given one (the given day not counted), and on stderr a note when a
year of the count has no published arrangement yet. Exit codes: 0 done, 2 bad input.
"""

from __future__ import annotations

import sys

from kechuang.commands.common import fail, parse_date


def register(subparsers) -> None:
    parser = subparsers.add_parser("calendar", help="工作日：按国家法定节假日和调休安排推算日期（无需数据库）")
    sub = parser.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND")
    p_add = sub.add_parser("add-workdays", help="给定日期之后第 N 个工作日")
    p_add.add_argument("date", help="起算日期 YYYY-MM-DD（当天不计入）")
    p_add.add_argument("n", help="工作日数（非负整数）")
    p_add.set_defaults(handler=cmd_add_workdays)
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)


def cmd_add_workdays(args) -> int:
    from kechuang.engine.workdays import add_workdays

    try:
        start = parse_date(args.date)
        if not args.n.isdigit():
            raise ValueError(f"工作日数应为非负整数，现为“{args.n}”")
        deadline = add_workdays(start, int(args.n))
    except ValueError as exc:
        return fail(str(exc))
    print(deadline.date.isoformat())
    if deadline.assumed_years:
        print(f"提示：{deadline.basis}", file=sys.stderr)
    return 0
