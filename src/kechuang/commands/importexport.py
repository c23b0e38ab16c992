"""`kechuang import facts FILE [--dry-run]` and `kechuang export facts FILE`.

Exit codes of import: 0 every row accepted, 1 some rows rejected (the rest imported), 2 file unreadable.
"""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    imp = sub.add_parser("import", help="导入数据").add_subparsers(dest="what", required=True)
    facts_parser = imp.add_parser("facts", help="导入企业年度数据（.xlsx 或 .csv）")
    facts_parser.add_argument("file")
    facts_parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    facts_parser.add_argument("--errors", type=int, default=50, help="最多列出多少条错误（默认 50，0 为全部）")
    facts_parser.set_defaults(handler=import_facts)
    exp = sub.add_parser("export", help="导出数据").add_subparsers(dest="what", required=True)
    export_parser = exp.add_parser("facts", help="导出企业年度数据为 .xlsx")
    export_parser.add_argument("file")
    export_parser.set_defaults(handler=export_facts)


def import_facts(args) -> int:
    from kechuang.djangosetup import setup

    setup()
    from kechuang.engine.facts_file import FactsFileError
    from kechuang.enterprises import importing

    def progress(n: int) -> None:
        print(f"\r已校验 {n} 行……", end="", file=sys.stderr, flush=True)

    try:
        report = importing.import_facts(Path(args.file), dry_run=args.dry_run, progress=progress)
    except FactsFileError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    print("", file=sys.stderr)
    for warning in report["warnings"]:
        print(f"提示：{warning}", file=sys.stderr)
    errors = report["errors"]
    shown = errors if args.errors == 0 else errors[: args.errors]
    for e in shown:
        print(_row_error(e), file=sys.stderr)
    if len(shown) < len(errors):
        print(f"……另有 {len(errors) - len(shown)} 条错误未列出（--errors 0 显示全部）", file=sys.stderr)
    print(importing.summary(report) + ("（预览，未写入）" if args.dry_run else ""))
    if report["stats"]:
        s = report["stats"]
        print(
            f"新增企业 {s['enterprises_created']}，更新企业 {s['enterprises_updated']}，"
            f"新增年度数据 {s['figures_created']}，更新年度数据 {s['figures_updated']}，未变化 {s['unchanged']}"
        )
    return 1 if report["rejected_rows"] else 0


def _row_error(e: dict) -> str:
    """One rejected row's problem: 文件 第N行 列「列名」 值“…”：说明."""
    where = f"{e['file']} 第{e['row']}行"
    if e["column"]:
        where += f" 列「{e['column']}」"
    value = f" 值“{e['value']}”" if e["value"] else ""
    return f"{where}{value}：{e['message']}"


def export_facts(args) -> int:
    from kechuang.djangosetup import setup

    setup()
    from kechuang.enterprises import exporting
    from kechuang.enterprises.models import Enterprise

    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        print("错误：导出文件须以 .xlsx 结尾", file=sys.stderr)
        return 2
    count = exporting.write_facts(path, Enterprise.objects.all())
    print(f"已导出 {count} 行到 {path}")
    return 0
