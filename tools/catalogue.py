"""The Chinese message catalogue: every string marked for translation, in one file a translator can take over.

    python tools/catalogue.py update    # after marking new strings: extract them into the catalogue
    python tools/catalogue.py check     # make lint: exit 1 naming each marked string missing (or no longer used)
    python tools/catalogue.py compile   # make install: build django.mo from django.po

The source strings are already Simplified Chinese, so each entry of the zh_Hans catalogue translates to itself; the
catalogue exists so that a wording change (or a regional variant) is made in one file, not in code. Extraction is
Django's `makemessages` (it needs GNU gettext's xgettext, a Debian package installed for the tests); compiling uses
Babel, so installing needs no gettext at all.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

SRC = Path(__file__).resolve().parent.parent / "src"
LOCALE = "zh_Hans"
CATALOGUE = SRC / "kechuang" / "locale" / LOCALE / "LC_MESSAGES" / "django.po"


def _extract(package: Path) -> None:
    """Run makemessages inside `package` (a copy of src/kechuang or the real one); it writes package/locale/…."""
    if shutil.which("xgettext") is None:
        raise SystemExit("缺少 GNU gettext（xgettext）：请安装 gettext 软件包（make system-deps 会安装）")
    (package / "locale").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "kechuang.settings",
        "KECHUANG_DATA_DIR": tempfile.mkdtemp(prefix="kc-catalogue-"),
    }
    command = [sys.executable, "-m", "django", "makemessages", "-l", LOCALE, "--no-location", "--no-obsolete", "-v0"]
    subprocess.run(command, cwd=package, env=env, check=True, capture_output=True, text=True)


def _read(po: Path):
    # makemessages leaves two empty plural translations where Chinese has one form; Babel prints a warning for
    # each, which says nothing here: the plural entries are filled with one form by `update`.
    with po.open("rb") as f, contextlib.redirect_stdout(io.StringIO()):
        return read_po(f, locale=LOCALE)


def _ids(po: Path) -> set:
    return {m.id for m in _read(po) if m.id}


def update() -> int:
    _extract(SRC / "kechuang")
    catalog = _read(CATALOGUE)
    catalog.fuzzy = False
    for message in catalog:
        if not message.id:
            continue
        # Chinese has one plural form: the plural wording is the one used for every count.
        source = message.id if isinstance(message.id, str) else (message.id[1],)
        # The source text is its own translation, always: makemessages fills a new string with its guess from a
        # similar old one (other words, other placeholders: "%(n)d" for "%(n)s" fails when rendered) and notes
        # that old one in a "| msgid" comment, which goes too.
        message.string = source
        message.user_comments = [c for c in message.user_comments if not c.startswith("| msgid")]
        message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False, sort_output=True)
    print(f"目录已更新：{CATALOGUE.relative_to(SRC.parent)}（{len(catalog)} 条）")
    return 0


def check(package: Path = SRC / "kechuang", catalogue: Path = CATALOGUE) -> list[str]:
    """Problems of `catalogue` against the strings marked in `package`, one line each (empty when current)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "kechuang"
        shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
        _extract(copy)
        marked = _ids(copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po")
    known = _ids(catalogue) if catalogue.exists() else set()
    problems = [f"目录缺少已标记的文字：{_show(i)}" for i in sorted(marked - known, key=str)]
    problems += [f"目录中的文字已不再使用：{_show(i)}" for i in sorted(known - marked, key=str)]
    return problems


def _show(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def compile_catalogue() -> int:
    catalog = _read(CATALOGUE)
    with CATALOGUE.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)
    return 0


def main(argv: list[str]) -> int:
    action = argv[0] if argv else ""
    if action == "update":
        return update()
    if action == "compile":
        return compile_catalogue()
    if action == "check":
        problems = check()
        for line in problems:
            print(line)
        if problems:
            print("请运行 python tools/catalogue.py update 并提交 django.po")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
