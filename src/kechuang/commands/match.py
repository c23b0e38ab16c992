"""`kechuang match search`: rank the documents of a corpus for each query (technology-transfer matching).

Stateless: reads JSON Lines files, writes one, never touches Django or a database.
Exit codes: 0 every line read; 1 some lines refused (named with file and line; the results of the good lines
are still written, over the good documents); 2 unusable input (a file that cannot be read, no documents, bad
arguments, an output that cannot be written).
"""

from __future__ import annotations

import argparse
import os
import sys

from kechuang.commands.common import MAX_PROBLEMS_SHOWN, fail

EXIT_SOME_REFUSED = 1


def register(subparsers) -> None:
    parser = subparsers.add_parser("match", help="技术转移匹配：为需求检索成果与专利")
    sub = parser.add_subparsers(dest="match_command", metavar="SUBCOMMAND")
    search = sub.add_parser("search", help="为每条需求给出最匹配的文档及理由")
    search.add_argument("--corpus", required=True, help="文档库 JSON Lines：每行 {id, title, text?, ipc?}")
    search.add_argument("--queries", required=True, help="需求 JSON Lines：每行 {id, text}")
    search.add_argument("--top", type=int, default=10, help="每条需求返回的文档数（默认 10）")
    search.add_argument("--output", required=True, help="结果 JSON Lines：每行 {id, results: [{id, score, reason}]}")
    search.set_defaults(handler=_search)
    parser.set_defaults(handler=lambda args: (parser.print_help(), 0)[1])


def _report(problems: list[str]) -> None:
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"错误：{problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"  ……另有 {len(problems) - MAX_PROBLEMS_SHOWN} 行", file=sys.stderr)


def _search(args: argparse.Namespace) -> int:
    from kechuang.engine.techtransfer import files
    from kechuang.engine.techtransfer.matching import Matcher

    if args.top < 1:
        return fail(f"--top 应为正整数（收到 {args.top}）")
    try:
        files.check_output(args.output)
        documents, corpus_problems = files.read_corpus(args.corpus)
        queries, query_problems = files.read_queries(args.queries)
    except files.MatchFileError as exc:
        return fail(str(exc))
    problems = corpus_problems + query_problems
    _report(problems)
    if not documents:
        return fail(f"{args.corpus} 中没有可用的文档")
    matcher = Matcher(documents)
    hits = matcher.search_many([q.text for q in queries], args.top, workers=os.cpu_count() or 1)
    try:
        files.write_results(args.output, zip([q.id for q in queries], hits, strict=True))
    except files.MatchFileError as exc:
        return fail(str(exc))
    refused = f"，{len(problems)} 行有误未处理" if problems else ""
    print(f"已为 {len(queries)} 条需求在 {len(documents)} 条文档中检索，结果写入 {args.output}{refused}")
    return EXIT_SOME_REFUSED if problems else 0
