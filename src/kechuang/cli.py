"""The `kechuang` command line.

Each group of subcommands lives in `kechuang.commands.<name>` and exposes `register(subparsers)`.
Stateless groups (tiers, points, policies) never touch Django or a database; the others set Django up
on demand. Any other first word is handed to Django's manage.py machinery (`kechuang migrate`, …).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

# Order is the order shown in --help.
GROUPS = (
    "demo",
    "serve",
    "importexport",
    "tiers",
    "points",
    "policies",
    "calendar",
    "security",
    "match",
    "contracts",
    "ops",
)


# argparse's usage errors (English, from its gettext catalogue) → Chinese; others are shown as they are.
_USAGE_ERRORS = (
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"argument (.+?): expected one argument", "参数 {0} 后面需要一个值"),
    (r"argument (.+?): expected at least one argument", "参数 {0} 后面至少需要一个值"),
    (r"argument (.+?): invalid choice: (.*) \(choose from (.*)\)", "参数 {0}：无效的选项 {1}（可选：{2}）"),
    (r"argument (.+?): invalid \S+ value: (.*)", "参数 {0}：无效的值 {1}"),
    (r"argument (.+?): ignored explicit argument (.*)", "参数 {0} 不接受值 {1}"),
    (r"argument (.+?): not allowed with argument (.*)", "参数 {0} 不能与 {1} 同时使用"),
    (r"ambiguous option: (\S+) could match (.*)", "选项 {0} 有歧义，可能是：{1}"),
)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese usage errors, usage line, section titles and -h help (subparsers inherit it)."""

    def __init__(self, *args, add_help: bool = True, **kwargs):
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示帮助并退出")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "用法：", 1)

    def error(self, message: str):
        for pattern, chinese in _USAGE_ERRORS:
            match = re.fullmatch(pattern, message)
            if match:
                message = chinese.format(*match.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="kechuang",
        description="科创平台命令行。未列出的命令交给 Django 管理命令处理（如 kechuang migrate）。",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        try:
            module = importlib.import_module(f"kechuang.commands.{group}")
        except ModuleNotFoundError as exc:  # a group still being built must not break the others
            if exc.name != f"kechuang.commands.{group}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    if argv and not argv[0].startswith("-") and argv[0] not in known:
        from kechuang.djangosetup import run_django_command

        return run_django_command(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
