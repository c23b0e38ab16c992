"""House conventions no linter knows, checked by `make lint` (and by tests/test_conventions.py).

    python tools/conventions.py [ROOT]

- The engine (`src/kechuang/engine/`) imports neither Django nor a web app: every engine module is imported
  in a fresh interpreter where those imports fail.
- Chinese text in templates is marked for translation: outside `{% translate %}`/`{% blocktranslate %}`, tags,
  variables, comments and scripts (whose strings are translated where they are built), no CJK character remains.
- Rule files cite real sources: what a user reads of a rule (its name, source, 文号, issuer, notes, labels)
  never holds the project's internal notes ("rules-reference.md §2", "field-notes", "文号：示例").
- Today's date comes from one clock (`engine/clock.py`, or Django's `timezone.localdate()`/`now()` in Django
  code): `date.today()`, `datetime.now()`, `datetime.today()` and `datetime.utcnow()` appear nowhere else.
Exit 0 when clean, 1 with one line per violation.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

WEB_APPS = (
    "django",
    "ninja",
    "kechuang.accounts",
    "kechuang.carriers",
    "kechuang.chains",
    "kechuang.challenges",
    "kechuang.core",
    "kechuang.enterprises",
    "kechuang.finance",
    "kechuang.onestop",
    "kechuang.points",
    "kechuang.policies",
    "kechuang.rules",
    "kechuang.techtransfer",
    "kechuang.tiers",
    "kechuang.demo",
    "kechuang.settings",
)
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow")}
CLOCK_MODULE = Path("src/kechuang/engine/clock.py")

# Run in a fresh interpreter: refuse the web layer, then import every engine module.
_PURITY_PROBE = """
import importlib, importlib.abc, pkgutil, sys
BLOCKED = {blocked!r}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"the engine imported {{name}}")
sys.meta_path.insert(0, Refuse())
sys.path.insert(0, {src!r})
import kechuang.engine as engine
bad = []
for info in pkgutil.walk_packages(engine.__path__, "kechuang.engine."):
    try:
        importlib.import_module(info.name)
    except ImportError as exc:
        bad.append(f"{{info.name}}: {{exc}}")
print("\\n".join(bad))
"""


def engine_imports_web(root: Path) -> list[str]:
    probe = _PURITY_PROBE.format(blocked=WEB_APPS, src=str(root / "src"))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return [f"engine import probe failed: {out.stderr.strip().splitlines()[-1]}"]
    return [f"engine imports the web layer: {line}" for line in out.stdout.splitlines() if line]


def clock_calls(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "src").rglob("*.py")):
        if path.relative_to(root) == CLOCK_MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if (name, node.func.attr) in CLOCK_CALLS:
                    found.append(
                        f"{path.relative_to(root)}:{node.lineno}: {name}.{node.func.attr}() — "
                        "use kechuang.engine.clock.today()/now() or timezone.localdate()/now()"
                    )
    return found


# What a template may hold around its Chinese: marked text, tags, variables, comments, scripts.
_MARKED = re.compile(
    r"\{%\s*blocktranslate.*?endblocktranslate\s*%\}|\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}"
    r"|<script\b.*?</script>",
    re.S,
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def untranslated_template_text(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "src").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        blanked = _MARKED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        for match in _CJK.finditer(blanked):
            line = blanked.count("\n", 0, match.start()) + 1
            found.append(
                f"{path.relative_to(root)}:{line}: “{match.group(0)}” is not marked for translation "
                "— wrap it in {% translate %}"
            )
    return found


# Keys of a rule file whose text reaches users (rule pages, policy library, diagnosis, product pages).
SHOWN_KEYS = {
    "name",
    "name_zh",
    "source",
    "document",
    "issuer",
    "notes",
    "note",
    "summary",
    "city",
    "label",
    "description",
    "provider",
}
INTERNAL_TEXT = ("rules-reference", "field-notes", ".md", "示例", "§")


def _shown_texts(node, key: str = ""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _shown_texts(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _shown_texts(item, key)
    elif isinstance(node, str) and key in SHOWN_KEYS:
        yield key, node


def internal_notes_in_rules(root: Path) -> list[str]:
    """Shown texts of rule files (not their test cases or YAML comments) that cite internal notes."""
    import yaml

    found = []
    for path in sorted((root / "src/kechuang/rulesets").rglob("*.yaml")):
        if "cases" in path.relative_to(root).parts or path.name == "cases.yaml":
            continue
        for key, text in _shown_texts(yaml.safe_load(path.read_text(encoding="utf-8"))):
            bad = [word for word in INTERNAL_TEXT if word in text]
            if bad:
                found.append(
                    f"{path.relative_to(root)}: {key} “{text[:60]}” shows internal text {'、'.join(bad)} "
                    "— cite the real document (title, 文号) or say what the bureau must confirm"
                )
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parents[1])
    problems = (
        engine_imports_web(root) + clock_calls(root) + untranslated_template_text(root) + internal_notes_in_rules(root)
    )
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
