"""Problems in rule data, each naming the file, the rule and the field, in Chinese.

Policy: validation collects every problem of a document before it fails, so a bureau (or a developer editing
YAML) fixes them all in one pass. A `RuleDataError` carries the list; its message is the Chinese text shown on
pages and printed by the command line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    file: str = ""
    rule: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"文件 {self.file}")
        if self.rule:
            where.append(f"规则 {self.rule}")
        if self.field:
            where.append(f"字段 {self.field}")
        return ("，".join(where) + "：" if where else "") + self.message


class RuleDataError(ValueError):
    """Rule data that cannot be used. `problems` lists each; `message` is the Chinese text for users."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        if len(self.problems) == 1:
            self.message = str(self.problems[0])
        else:
            self.message = f"规则数据有误（共 {len(self.problems)} 处）：\n" + "\n".join(
                f"- {p}" for p in self.problems
            )
        super().__init__(self.message)
