"""The condition language: a small, safe expression language compiled to Polars expressions.

Rule sets and policies write conditions as text; `compile_condition(text, params)` turns one into a
vectorised `pl.Expr` over the derived frame (see derive.py), and `condition_fields(text, params)` lists the
columns it reads. There is no `eval`, no attribute access and no import: the text is tokenised and parsed
by the grammar below, and only the listed functions exist.

Grammar (lowest precedence first; keywords are lower case):

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]
                | sum ["not"] "in" sum              (membership in a list literal or a list parameter)
                | sum "is" ["not"] "null"
    sum        := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | STRING | "true" | "false" | "null" | "[" [expr ("," expr)*] "]"
                | NAME "(" [expr ("," expr)*] ")" | NAME | "(" expr ")"
    NAME       := letter_or_underscore (letter | digit | "_" | ".")*   e.g. revenue, tier.high_tech

A NAME is a parameter when `params` has it (its value becomes a literal), otherwise a column of the frame
(dots are part of the column name: `tier.high_tech` is the column "tier.high_tech"). Dates are written as
strings and compared as dates with `date("2024-01-01")`.

Functions: min(a, b, ...), max(a, b, ...), coalesce(a, b, ...), abs(x), pow(x, y), floor(x), if(cond, a, b),
known(x) (true when x is not null), date(text), make_date(year, month, day) (a date from numbers, e.g. a
deadline in the year after the fiscal year: `make_date(year + 1, 5, 31)`), year(date), prefix_in(text_column,
list) (starts with any prefix).

Three-valued logic (null = unknown) throughout: comparisons and arithmetic with an unknown operand are
unknown; `and`/`or`/`not` follow Kleene logic (false and unknown = false, true or unknown = true); division by
zero is unknown; min/max are unknown if any argument is unknown (coalesce is how to skip unknowns);
`if` with an unknown condition is unknown; `in` with an unknown value is unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

__all__ = ["ConditionError", "compile_condition", "condition_fields", "parse"]


class ConditionError(ValueError):
    """A condition that cannot be parsed or compiled; the message is Chinese (shown to rule editors)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op><=|>=|==|!=|[<>+\-*/(),\[\]]))"
)
_KEYWORDS = {"and", "or", "not", "in", "is", "true", "false", "null"}
_COMPARE = {"<", "<=", ">", ">=", "==", "!="}


@dataclass(frozen=True)
class Node:
    kind: str  # num, str, bool, null, name, list, call, unary, binary, not, and, or, in, isnull
    value: Any = None
    args: tuple = ()


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConditionError(f"条件“{text}”第 {pos + 1} 个字符无法识别：“{text[pos : pos + 10]}”")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "kw"
        tokens.append((kind, value))
        pos = match.end()
    tokens.append(("end", ""))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.tokens[self.i]
        if value is not None and tok[1] != value:
            raise ConditionError(f"条件“{self.text}”：此处应为“{value}”，实际为“{tok[1] or '结尾'}”")
        self.i += 1
        return tok

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("kw", "op"):
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek()[0] != "end":
            raise ConditionError(f"条件“{self.text}”：多余的内容“{self.peek()[1]}”")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.accept("or"):
            node = Node("or", args=(node, self.and_expr()))
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.accept("and"):
            node = Node("and", args=(node, self.not_expr()))
        return node

    def not_expr(self) -> Node:
        if self.accept("not"):
            return Node("not", args=(self.not_expr(),))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        kind, value = self.peek()
        if kind == "op" and value in _COMPARE:
            self.take()
            return Node("binary", value, (left, self.sum()))
        if self.accept("in"):
            return Node("in", False, (left, self.sum()))
        if kind == "kw" and value == "not" and self.peek(1)[1] == "in":
            self.take()
            self.take()
            return Node("in", True, (left, self.sum()))
        if self.accept("is"):
            negate = self.accept("not")
            self.take("null")
            return Node("isnull", negate, (left,))
        return left

    def sum(self) -> Node:
        node = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            node = Node("binary", op, (node, self.term()))
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[1] in ("*", "/") and self.peek()[0] == "op":
            op = self.take()[1]
            node = Node("binary", op, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            return Node("unary", "-", (self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Node("num", float(value) if any(ch in value for ch in ".eE") else int(value))
        if kind == "str":
            return Node("str", value[1:-1])
        if kind == "kw" and value in ("true", "false"):
            return Node("bool", value == "true")
        if kind == "kw" and value == "null":
            return Node("null")
        if kind == "op" and value == "(":
            node = self.or_expr()
            self.take(")")
            return node
        if kind == "op" and value == "[":
            items = self._items("]")
            return Node("list", args=tuple(items))
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                return Node("call", value, tuple(self._items(")")))
            return Node("name", value)
        raise ConditionError(f"条件“{self.text}”：此处不应出现“{value or '结尾'}”")

    def _items(self, close: str) -> list[Node]:
        items: list[Node] = []
        if self.accept(close):
            return items
        while True:
            items.append(self.or_expr())
            if self.accept(close):
                return items
            self.take(",")


def parse(text: str) -> Node:
    """Parse condition text into a syntax tree (raises ConditionError with a Chinese message)."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("条件不能为空")
    return _Parser(text).parse()


def _names(node: Node, out: list[str]) -> None:
    if node.kind == "name" and node.value not in out:
        out.append(node.value)
    for arg in node.args:
        _names(arg, out)


def condition_fields(text: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """Columns the condition reads (names that are not parameters), in order of appearance."""
    names: list[str] = []
    _names(parse(text), names)
    params = params or {}
    return [n for n in names if n not in params]


def condition_params(text: str, params: Mapping[str, Any]) -> list[str]:
    """Parameters the condition reads, in order of appearance."""
    names: list[str] = []
    _names(parse(text), names)
    return [n for n in names if n in params]


_FUNCTIONS = {"min", "max", "coalesce", "abs", "pow", "floor", "if", "known", "date", "make_date", "year", "prefix_in"}


_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class _Compiler:
    def __init__(self, text: str, params: Mapping[str, Any], columns, comparisons=None):
        self.text = text
        self.params = params
        self.columns = set(columns) if columns is not None else None
        self.comparisons = comparisons or {}

    def number(self, node: Node) -> float | None:
        """The value of a number literal or a number parameter, else None."""
        value = node.value
        if node.kind == "name":
            value = self.params.get(node.value) if node.value in self.params else None
        elif node.kind != "num":
            return None
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def shortcut(self, node: Node) -> pl.Expr | None:
        """A comparison of a column named in `comparisons` with a number, as that column's own expression
        (e.g. an age compared as dates), or None."""
        op, (left, right) = node.value, node.args
        if right.kind == "name" and right.value in self.comparisons and right.value not in self.params:
            left, right, op = right, left, _MIRRORED[op]
        if left.kind != "name" or left.value not in self.comparisons or left.value in self.params:
            return None
        threshold = self.number(right)
        return None if threshold is None else self.comparisons[left.value](op, threshold)

    def literal_list(self, node: Node) -> list | None:
        if node.kind == "list":
            values = []
            for item in node.args:
                if item.kind not in ("num", "str", "bool"):
                    raise ConditionError(f"条件“{self.text}”：列表中只能是常量")
                values.append(item.value)
            return values
        if node.kind == "name" and node.value in self.params and isinstance(self.params[node.value], list):
            return list(self.params[node.value])
        return None

    def expr(self, node: Node) -> pl.Expr:  # noqa: C901
        kind = node.kind
        if kind in ("num", "str", "bool"):
            return pl.lit(node.value)
        if kind == "null":
            return pl.lit(None)
        if kind == "name":
            if node.value in self.params:
                value = self.params[node.value]
                if isinstance(value, (list, dict)):
                    raise ConditionError(f"条件“{self.text}”：参数 {node.value} 是列表，只能用于 in")
                return pl.lit(value)
            if self.columns is not None and node.value not in self.columns:
                raise ConditionError(f"条件“{self.text}”：未知字段或参数“{node.value}”")
            return pl.col(node.value)
        if kind == "list":
            raise ConditionError(f"条件“{self.text}”：列表只能用于 in 或 prefix_in")
        if kind == "not":
            return ~self.expr(node.args[0])
        if kind == "and":
            return self.expr(node.args[0]) & self.expr(node.args[1])
        if kind == "or":
            return self.expr(node.args[0]) | self.expr(node.args[1])
        if kind == "unary":
            return -self.expr(node.args[0])
        if kind == "isnull":
            inner = self.expr(node.args[0])
            return inner.is_not_null() if node.value else inner.is_null()
        if kind == "in":
            values = self.literal_list(node.args[1])
            if values is None:
                raise ConditionError(f"条件“{self.text}”：in 之后应为列表")
            left = self.expr(node.args[0])
            member = pl.when(left.is_not_null()).then(left.is_in(values))
            return ~member if node.value else member
        if kind == "binary":
            shortcut = self.shortcut(node) if node.value in _COMPARE and self.comparisons else None
            if shortcut is not None:
                return shortcut
            left, right = self.expr(node.args[0]), self.expr(node.args[1])
            op = node.value
            if op == "/":
                return pl.when(right != 0).then(left / right)
            return {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "<": lambda: left < right,
                "<=": lambda: left <= right,
                ">": lambda: left > right,
                ">=": lambda: left >= right,
                "==": lambda: left == right,
                "!=": lambda: left != right,
            }[op]()
        if kind == "call":
            return self.call(node)
        raise ConditionError(f"条件“{self.text}”：无法编译")  # pragma: no cover - parser emits known kinds

    def call(self, node: Node) -> pl.Expr:  # noqa: C901
        name, args = node.value, node.args
        if name not in _FUNCTIONS:
            raise ConditionError(f"条件“{self.text}”：未知函数“{name}”（可用：{'、'.join(sorted(_FUNCTIONS))}）")
        if name == "date":
            if len(args) != 1 or args[0].kind != "str":
                raise ConditionError(f"条件“{self.text}”：date() 需要一个 'YYYY-MM-DD' 字符串")
            try:
                return pl.lit(dt.date.fromisoformat(args[0].value))
            except ValueError:
                raise ConditionError(f"条件“{self.text}”：日期“{args[0].value}”无效") from None
        if name == "prefix_in":
            values = self.literal_list(args[1]) if len(args) == 2 else None
            if values is None:
                raise ConditionError(f"条件“{self.text}”：prefix_in(字段, 列表)")
            text = self.expr(args[0]).cast(pl.Utf8)
            # one hash lookup per prefix length instead of one starts_with per prefix
            by_length: dict[int, list[str]] = {}
            for v in values:
                by_length.setdefault(len(str(v)), []).append(str(v))
            hits = [text.str.slice(0, n).is_in(group) for n, group in sorted(by_length.items())]
            return pl.when(text.is_not_null()).then(pl.any_horizontal(hits or [pl.lit(False)]))
        exprs = [self.expr(a) for a in args]
        arity = {"abs": 1, "known": 1, "if": 3, "pow": 2, "floor": 1, "year": 1, "make_date": 3}
        if name in arity and len(exprs) != arity[name]:
            raise ConditionError(f"条件“{self.text}”：{name}() 需要 {arity[name]} 个参数")
        if not exprs:
            raise ConditionError(f"条件“{self.text}”：{name}() 缺少参数")
        if name == "abs":
            return exprs[0].abs()
        if name == "floor":
            return exprs[0].cast(pl.Float64).floor()
        if name == "year":
            return exprs[0].cast(pl.Date).dt.year().cast(pl.Int64)
        if name == "make_date":
            return pl.date(*[e.cast(pl.Int32) for e in exprs])
        if name == "pow":
            return exprs[0].cast(pl.Float64).pow(exprs[1])
        if name == "known":
            return exprs[0].is_not_null()
        if name == "if":
            cond, a, b = exprs
            return pl.when(cond.is_null()).then(None).when(cond).then(a).otherwise(b)
        if name == "coalesce":
            return pl.coalesce(exprs)
        any_null = pl.any_horizontal([e.is_null() for e in exprs])
        combined = pl.min_horizontal(exprs) if name == "min" else pl.max_horizontal(exprs)
        return pl.when(~any_null).then(combined)


def compile_condition(
    text: str,
    params: Mapping[str, Any] | None = None,
    columns=None,
    comparisons: Mapping[str, Callable[[str, float], pl.Expr | None]] | None = None,
) -> pl.Expr:
    """Compile condition text to a Polars expression (three-valued; null = unknown).

    `params`: names whose values are inlined as literals (lists only on the right of `in`/`prefix_in`).
    `columns`: if given, the column names allowed; an unknown name raises ConditionError.
    `comparisons`: column → `fn(op, number)` giving `column op number` without reading the column (the tier
    engine compares ages as dates: `derive.age_comparison`), or None to compare the column as usual.
    """
    return _Compiler(text, params or {}, columns, comparisons).expr(parse(text))
