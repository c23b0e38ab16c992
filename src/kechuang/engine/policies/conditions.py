"""Eligibility conditions: the shared condition language (engine/conditions/language.py), plus gaps.

Policy: a policy condition is text in the same language as the tier rule sets, so a bureau learns one
language. Tier results are read as Boolean columns `tier.<tier id>` (true / false / null = unknown), e.g.
`tier.high_tech or hte_certified`. This module adds what policies need on top, without touching the
language itself:

- `fields`: the columns a condition reads (for the facts snapshot and for `missing`);
- `gap_atoms` / `gap_exprs`: for a failed condition, the smallest change in one field that makes it pass.
  A gap is offered for each comparison `field <op> number` whose flip to true would turn the whole
  condition true on that row (checked vectorised, by compiling the condition with that comparison replaced
  by `true`). Comparisons of dates or text have no numeric gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from kechuang.engine.conditions import ConditionError, Node, compile_condition, condition_fields, parse

__all__ = ["CompiledCondition", "ConditionError", "check", "compile_policy_condition"]

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_PRECEDENCE = {"or": 1, "and": 2, "not": 3}


@dataclass(frozen=True)
class GapAtom:
    field: str
    op: str  # as `field op required`
    required: float
    when_true: str  # the condition text with this comparison replaced by `true`


@dataclass(frozen=True)
class CompiledCondition:
    id: str
    text: str
    expr: pl.Expr
    fields: tuple[str, ...]
    atoms: tuple[GapAtom, ...]


@lru_cache(maxsize=1)
def known_fields() -> frozenset[str]:
    """Names a policy condition may read: facts columns and their earlier-year values, derived values
    (derive.DEPENDS), policy inputs and policy-derived values. Built from metadata, not by running derive."""
    from kechuang.engine import derive, facts
    from kechuang.engine.policies import inputs
    from kechuang.engine.policies.evaluate import POLICY_DERIVED

    names = {c.name for c in facts.COLUMNS} | set(derive.DEPENDS) | {"has_year_row"}
    names |= {f"{c}_prev{k}" for c in getattr(derive, "LAG_COLUMNS", ()) for k in getattr(derive, "LAGS", ())}
    return frozenset(names | set(inputs.POLICY_INPUT_NAMES) | set(POLICY_DERIVED))


def check(text: str) -> None:
    """Raise ConditionError (Chinese) when `text` does not parse, or reads a field that does not exist
    (`tier.<id>` names are accepted: the tiers engine says which tiers exist)."""
    compile_condition(text)
    unknown = [f for f in condition_fields(text) if f not in known_fields() and not f.startswith("tier.")]
    if unknown:
        raise ConditionError(f"条件“{text}”：未知字段“{'、'.join(unknown)}”")


def _unparse(node: Node) -> str:
    kind = node.kind
    if kind == "num":
        return repr(node.value)
    if kind == "str":
        return "'" + node.value + "'"
    if kind == "bool":
        return "true" if node.value else "false"
    if kind == "null":
        return "null"
    if kind == "name":
        return node.value
    if kind == "list":
        return "[" + ", ".join(_unparse(a) for a in node.args) + "]"
    if kind == "call":
        return f"{node.value}(" + ", ".join(_unparse(a) for a in node.args) + ")"
    if kind == "unary":
        return f"-({_unparse(node.args[0])})"
    if kind == "not":
        return f"not ({_unparse(node.args[0])})"
    if kind in ("and", "or"):
        return f"({_unparse(node.args[0])}) {kind} ({_unparse(node.args[1])})"
    if kind == "isnull":
        return f"({_unparse(node.args[0])}) is {'not ' if node.value else ''}null"
    if kind == "in":
        return f"({_unparse(node.args[0])}) {'not in' if node.value else 'in'} {_unparse(node.args[1])}"
    if kind == "binary":
        return f"({_unparse(node.args[0])}) {node.value} ({_unparse(node.args[1])})"
    raise ConditionError(f"无法处理的条件结构：{kind}")  # pragma: no cover


def _replace(node: Node, target: Node, with_node: Node) -> Node:
    if node is target:
        return with_node
    if not node.args:
        return node
    return Node(node.kind, node.value, tuple(_replace(a, target, with_node) for a in node.args))


def _atoms(root: Node) -> list[GapAtom]:
    """Comparisons `name op number` (or `number op name`) reachable through and/or (not under `not`)."""
    out: list[GapAtom] = []

    def walk(node: Node) -> None:
        if node.kind in ("and", "or"):
            for arg in node.args:
                walk(arg)
            return
        if node.kind != "binary" or node.value not in _FLIP:
            return
        left, right = node.args
        if left.kind == "name" and right.kind == "num":
            field, op, required = left.value, node.value, right.value
        elif right.kind == "name" and left.kind == "num":
            field, op, required = right.value, _FLIP[node.value], left.value
        else:
            return
        if op == "!=":
            return
        when_true = _unparse(_replace(root, node, Node("bool", True)))
        out.append(GapAtom(field, op, float(required), when_true))

    walk(root)
    return out


@lru_cache(maxsize=4096)
def _compiled_parts(text: str) -> tuple[tuple[str, ...], tuple[GapAtom, ...]]:
    root = parse(text)
    return tuple(condition_fields(text)), tuple(_atoms(root))


def compile_policy_condition(cond_id: str, text: str) -> CompiledCondition:
    fields, atoms = _compiled_parts(text)
    return CompiledCondition(cond_id, text, compile_condition(text), fields, atoms)


def gap_json(condition: str, field: str, current: pl.Expr, required: float, delta: pl.Expr, mask: pl.Expr) -> pl.Expr:
    """One gap as JSON text {"condition","field","current","required","delta"} where `mask` holds, else
    null. Numbers are turned into text only on masked rows (the costly part); Polars prints floats as JSON
    numbers."""
    return pl.concat_str(
        pl.lit(f'{{"condition":"{condition}","field":"{field}","current":'),
        pl.when(mask).then(current).cast(pl.Utf8),
        pl.lit(f',"required":{float(required)!r},"delta":'),
        pl.when(mask).then(delta).cast(pl.Utf8),
        pl.lit("}"),
    )


def gap_exprs(cond: CompiledCondition, outcome: pl.Expr, schema: dict) -> list[pl.Expr]:
    """One JSON-text expression per gap atom: the gap on rows where the condition failed and flipping the
    atom alone passes it; null elsewhere. Atoms on non-numeric or absent columns are skipped."""
    out = []
    for atom in cond.atoms:
        dtype = schema.get(atom.field)
        if dtype is None or not dtype.is_numeric():
            continue
        current = pl.col(atom.field).cast(pl.Float64)
        fixes = compile_condition(atom.when_true).fill_null(False)
        mask = (outcome == False) & fixes & current.is_not_null()  # noqa: E712
        delta = (pl.lit(atom.required) - current).round(6)
        out.append(gap_json(cond.id, atom.field, current, atom.required, delta, mask))
    return out
