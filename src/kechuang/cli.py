"""The `kechuang` command line.

Each group of subcommands lives in `kechuang.commands.<name>` and exposes `register(subparsers)`.
Stateless groups (tiers, points, policies) never touch Django or a database; the others set Django up
on demand. Any other first word is handed to Django's manage.py machinery (`kechuang migrate`, …).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Order is the order shown in --help.
GROUPS = ("demo", "serve", "importexport", "tiers", "points", "policies")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
