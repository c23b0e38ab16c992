"""JSON Lines files of the matcher: the corpus, the queries and the results (`kechuang match search`).

Corpus line: {"id", "title", "text"?, "ipc"?: [subclass, …]}; query line: {"id", "text"}; result line:
{"id": query id, "results": [{"id", "score", "reason"}, …]}. A line that breaks these shapes is a problem
naming the file, the line and the field; the other lines are still read. A file that cannot be read at all
raises MatchFileError. Messages are Chinese.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kechuang.engine.techtransfer.matching import Document, Hit

IPC_SUBCLASS = re.compile(r"[A-H]\d{2}[A-Z]")


class MatchFileError(ValueError):
    """A file that cannot be read or written at all; the message is Chinese."""


@dataclass(frozen=True)
class Query:
    id: str
    text: str


def _lines(path: Path) -> Iterable[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            yield from enumerate(fh.read().splitlines(), start=1)
    except FileNotFoundError:
        raise MatchFileError(f"找不到文件 {path}") from None
    except IsADirectoryError:
        raise MatchFileError(f"{path} 是一个文件夹，不是 JSON Lines 文件") from None
    except UnicodeDecodeError:
        raise MatchFileError(f"{path} 不是 UTF-8 编码的文本文件") from None
    except OSError as exc:
        raise MatchFileError(f"无法读取 {path}：{exc.strerror}") from None


def _objects(path: Path, problems: list[str]) -> Iterable[tuple[int, dict]]:
    """(line number, object) of each non-blank line; lines that are no JSON object become problems."""
    for number, line in _lines(path):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path} 第 {number} 行：不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）")
            continue
        if not isinstance(value, dict):
            problems.append(f"{path} 第 {number} 行：应为一个 JSON 对象（{{…}}）")
            continue
        yield number, value


def _text(row: dict, field: str, required: bool) -> str | None:
    value = row.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        return None
    return value


def read_corpus(path: str | Path) -> tuple[list[Document], list[str]]:
    """The documents of a corpus file and the problems of its bad lines (those lines are left out)."""
    path = Path(path)
    documents, problems, seen = [], [], {}
    for number, row in _objects(path, problems):
        where = f"{path} 第 {number} 行"
        doc_id, title, text = _text(row, "id", True), _text(row, "title", True), _text(row, "text", False)
        ipc = row.get("ipc") or []
        if doc_id is None:
            problems.append(f"{where}：字段 id 缺失或不是非空文本")
        elif doc_id in seen:
            problems.append(f"{where}：字段 id “{doc_id}” 与第 {seen[doc_id]} 行重复")
        elif title is None:
            problems.append(f"{where}：字段 title 缺失或不是非空文本")
        elif text is None:
            problems.append(f"{where}：字段 text 应为文本")
        elif not isinstance(ipc, list) or not all(isinstance(c, str) and IPC_SUBCLASS.fullmatch(c) for c in ipc):
            problems.append(f'{where}：字段 ipc 应为 IPC 小类的列表，如 ["H01M", "B60L"]')
        else:
            seen[doc_id] = number
            documents.append(Document(doc_id, title, text, tuple(ipc)))
    return documents, problems


def read_queries(path: str | Path) -> tuple[list[Query], list[str]]:
    """The queries of a file and the problems of its bad lines (those lines are left out)."""
    path = Path(path)
    queries, problems = [], []
    for number, row in _objects(path, problems):
        query_id, text = _text(row, "id", True), _text(row, "text", False)
        if query_id is None:
            problems.append(f"{path} 第 {number} 行：字段 id 缺失或不是非空文本")
        elif text is None:
            problems.append(f"{path} 第 {number} 行：字段 text 应为文本")
        else:
            queries.append(Query(query_id, text))
    return queries, problems


def check_output(path: str | Path) -> None:
    """Raise MatchFileError when `path` cannot be written: checked before the matching work."""
    path = Path(path)
    if not path.parent.is_dir():
        raise MatchFileError(f"输出文件夹不存在：{path.parent}（请先创建）")
    if path.is_dir():
        raise MatchFileError(f"输出路径 {path} 是一个文件夹，请给出文件名")
    if not os.access(path.parent, os.W_OK):
        raise MatchFileError(f"没有权限在文件夹 {path.parent} 中写入文件")


def write_results(path: str | Path, results: Iterable[tuple[str, list[Hit]]]) -> None:
    """One line per query; written to a temporary file renamed over `path` when complete (never half-written)."""
    path = Path(path)
    check_output(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as fh:
            for query_id, hits in results:
                row = {"id": query_id, "results": [{"id": h.id, "score": h.score, "reason": h.reason} for h in hits]}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
    except OSError as exc:
        raise MatchFileError(f"无法写入 {path}：{exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
