"""The house conventions hold on this tree, and the checker fails on a planted violation of each."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tools import conventions

ROOT = Path(__file__).resolve().parents[1]


def test_this_tree_keeps_the_conventions():
    assert conventions.engine_imports_web(ROOT) == []
    assert conventions.clock_calls(ROOT) == []
    assert conventions.untranslated_template_text(ROOT) == []
    assert conventions.internal_notes_in_rules(ROOT) == []


def _copy_engine(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "src" / "kechuang",
        tmp_path / "src" / "kechuang",
        ignore=shutil.ignore_patterns("__pycache__", "templates", "reference", "static"),
    )
    return tmp_path


def test_an_engine_module_importing_django_is_caught(tmp_path):
    root = _copy_engine(tmp_path)
    (root / "src/kechuang/engine/leaky.py").write_text("from django.db import models\n", encoding="utf-8")
    (root / "src/kechuang/engine/leaky_app.py").write_text("import kechuang.enterprises.models\n", encoding="utf-8")
    found = conventions.engine_imports_web(root)
    assert len(found) == 2
    assert "kechuang.engine.leaky: the engine imported django" in found[0]
    assert "kechuang.engine.leaky_app: the engine imported kechuang.enterprises" in found[1]
    assert conventions.main(["conventions", str(root)]) == 1


def test_a_server_date_is_caught(tmp_path):
    root = _copy_engine(tmp_path)
    (root / "src/kechuang/engine/dated.py").write_text(
        "import datetime as dt\nfrom datetime import datetime\nA = dt.date.today()\nB = datetime.now()\n",
        encoding="utf-8",
    )
    found = conventions.clock_calls(root)
    assert [line.split(" — ")[0] for line in found] == [
        "src/kechuang/engine/dated.py:3: date.today()",
        "src/kechuang/engine/dated.py:4: datetime.now()",
    ]


def test_the_complexity_limit_fails_a_tangled_function(tmp_path):
    """pyproject's ruff settings cap a function at 15 branches (C901); `make lint` runs ruff with them."""
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(16))
    tangled = tmp_path / "tangled.py"
    tangled.write_text(f"def tangled(x):\n{branches}\n    return -1\n", encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run(
        [
            str(ruff),
            "check",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--output-format",
            "concise",
            "--no-cache",
            str(tangled),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert "C901 `tangled` is too complex (17 > 15)" in out.stdout


def test_chinese_left_unmarked_in_a_template_is_caught(tmp_path):
    page = tmp_path / "src/kechuang/templates/x/page.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '{% load i18n %}<h1>{% translate "企业库" %}</h1>\n{# 注释 #}<p title="{{ x }}">共 {{ n }} 家</p>\n'
        '{% blocktranslate %}第 {{ n }} 页{% endblocktranslate %}<script>var a = "图表";</script>\n',
        encoding="utf-8",
    )
    assert conventions.untranslated_template_text(tmp_path) == [
        "src/kechuang/templates/x/page.html:2: “共” is not marked for translation — wrap it in {% translate %}",
        "src/kechuang/templates/x/page.html:2: “家” is not marked for translation — wrap it in {% translate %}",
    ]


def test_formatting_is_checked(tmp_path):
    """`make lint` runs `ruff format --check`: a file formatted by hand another way fails it."""
    untidy = tmp_path / "untidy.py"
    untidy.write_text("x = {'a':1,\n  'b' : 2}\n", encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run(
        [str(ruff), "format", "--check", "--config", str(ROOT / "pyproject.toml"), "--no-cache", str(untidy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1 and "1 file would be reformatted" in out.stdout


def test_a_marked_string_missing_from_the_catalogue_is_caught(tmp_path):
    from tools import catalogue

    package = tmp_path / "kechuang"
    shutil.copytree(ROOT / "src" / "kechuang", package, ignore=shutil.ignore_patterns("__pycache__", "static"))
    (package / "templates" / "planted.html").write_text(
        "{% load i18n %}<p>{% translate '新近标记的文字' %}</p>", encoding="utf-8"
    )

    # and an entry gettext filled with a similar string's wording (a fuzzy match) instead of its own
    po = tmp_path / "django.po"
    text = catalogue.CATALOGUE.read_text(encoding="utf-8")
    guessed = text.replace('msgstr "原密码不正确，请重新输入。"', 'msgstr "密码不正确，请重新输入。"')
    po.write_text(guessed, encoding="utf-8")

    problems = catalogue.check(package=package, catalogue=po)

    assert problems == [
        "目录缺少已标记的文字：新近标记的文字",
        "目录中的译文与原文不同：原密码不正确，请重新输入。 → 密码不正确，请重新输入。",
    ]


def test_every_catalogue_entry_is_its_own_source_text():
    """The pages are written in Chinese: a translation other than the source is a stale guess makemessages made
    from a similar old string (one rendered "%(n)d" with text and failed the leaderboard page)."""
    from tools import catalogue

    wrong = [
        m.id
        for m in catalogue._read(catalogue.CATALOGUE)
        if m.id and m.string != (m.id if isinstance(m.id, str) else (m.id[1],))
    ]
    assert wrong == []


def test_pages_read_the_compiled_chinese_catalogue():
    from django.utils.translation import trans_real

    catalog = trans_real.translation("zh-hans")._catalog
    # A string only this project marks: found only if django.mo was built from the catalogue (make install).
    assert catalog.get("原密码不正确，请重新输入。") == "原密码不正确，请重新输入。"


def test_a_rule_citing_internal_notes_is_caught(tmp_path):
    rules = tmp_path / "src/kechuang/rulesets/policies"
    rules.mkdir(parents=True)
    (rules / "reward.yaml").write_text(
        "# comments may cite rules-reference.md §2\nid: reward\ndocument: 示例（请填写本地文件文号）\n"
        "source: rules-reference.md §2（高企认定）\nversions:\n  - {note: 首个版本}\n",
        encoding="utf-8",
    )
    (rules / "cases").mkdir()
    (rules / "cases" / "reward.yaml").write_text("cases: [{name: 示例}]\n", encoding="utf-8")
    found = conventions.internal_notes_in_rules(tmp_path)
    assert found == [
        "src/kechuang/rulesets/policies/reward.yaml: document “示例（请填写本地文件文号）” shows internal text 示例 "
        "— cite the real document (title, 文号) or say what the bureau must confirm",
        "src/kechuang/rulesets/policies/reward.yaml: source “rules-reference.md §2（高企认定）” shows internal text "
        "rules-reference、.md、§ — cite the real document (title, 文号) or say what the bureau must confirm",
    ]
