"""`kechuang match search` end to end through kechuang.cli.main (no Django, no ../shared)."""

from __future__ import annotations

import json

import pytest

from kechuang.cli import main

CORPUS = [
    {"id": "P1", "title": "防爆锂离子电池", "ipc": ["H01M"]},
    {"id": "P2", "title": "光伏组件清洗装置", "ipc": ["H02S"]},
    {"id": "P3", "title": "污水处理装置", "text": "工业废水脱氮除磷", "ipc": ["C02F"]},
    {"id": "P4", "title": "电池外壳防爆阀"},
]
QUERIES = [{"id": "N1", "text": "防爆锂电池的研发"}, {"id": "N2", "text": "废水处理"}, {"id": "N3", "text": ""}]


def _jsonl(path, rows):
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return str(path)


def search(tmp_path, corpus=CORPUS, queries=QUERIES, *extra):
    out = tmp_path / "out.jsonl"
    code = main(
        [
            "match",
            "search",
            "--corpus",
            _jsonl(tmp_path / "corpus.jsonl", corpus),
            "--queries",
            _jsonl(tmp_path / "queries.jsonl", queries),
            "--output",
            str(out),
            *extra,
        ]
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else None
    return code, rows


def test_round_trip(tmp_path, capsys):
    code, rows = search(tmp_path, CORPUS, QUERIES, "--top", "2")
    assert code == 0
    assert rows == [
        {
            "id": "N1",
            "results": [
                {"id": "P1", "score": 2.0, "reason": "共同词：电池、防爆；IPC H01M"},
                {"id": "P4", "score": 0.8075, "reason": "共同词：电池、防爆"},
            ],
        },
        {"id": "N2", "results": [{"id": "P3", "score": 2.0, "reason": "共同词：处理、废水；IPC C02F"}]},
        {"id": "N3", "results": []},
    ]
    assert "已为 3 条需求在 4 条文档中检索" in capsys.readouterr().out


def test_bad_lines_are_named_by_file_and_line_and_the_good_ones_still_answered(tmp_path, capsys):
    corpus = [*CORPUS, "{not json", {"id": "P1", "title": "重复"}, {"id": "P9", "title": "x", "ipc": ["电池"]}, "[1]"]
    queries = [*QUERIES[:1], {"text": "没有编号"}, {"id": "N5", "text": 5}]
    code, rows = search(tmp_path, corpus, queries)
    err = capsys.readouterr().err
    assert code == 1
    assert [r["id"] for r in rows] == ["N1"]
    corpus_file, queries_file = tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl"
    assert f"错误：{corpus_file} 第 5 行：不是有效的 JSON（第 2 列：" in err
    assert f"错误：{corpus_file} 第 6 行：字段 id “P1” 与第 1 行重复" in err
    assert f"错误：{corpus_file} 第 7 行：字段 ipc 应为 IPC 小类的列表" in err
    assert f"错误：{corpus_file} 第 8 行：应为一个 JSON 对象" in err
    assert f"错误：{queries_file} 第 2 行：字段 id 缺失或不是非空文本" in err
    assert f"错误：{queries_file} 第 3 行：字段 text 应为文本" in err


def test_missing_title_and_blank_lines(tmp_path, capsys):
    code, rows = search(tmp_path, ["", {"id": "P1", "title": "  "}, *CORPUS[1:]], QUERIES[:1])
    assert code == 1 and rows == [{"id": "N1", "results": [{"id": "P4", "score": 1.0, "reason": "共同词：电池、防爆"}]}]
    assert "第 2 行：字段 title 缺失或不是非空文本" in capsys.readouterr().err


def test_unreadable_files_exit_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    queries = _jsonl(tmp_path / "q.jsonl", QUERIES)
    assert (
        main(["match", "search", "--corpus", str(tmp_path / "none.jsonl"), "--queries", queries, "--output", str(out)])
        == 2
    )
    assert f"找不到文件 {tmp_path / 'none.jsonl'}" in capsys.readouterr().err
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(json.dumps({"id": "P1", "title": "防爆电池"}, ensure_ascii=False).encode("gbk"))
    assert main(["match", "search", "--corpus", str(gbk), "--queries", queries, "--output", str(out)]) == 2
    assert "不是 UTF-8 编码的文本文件" in capsys.readouterr().err
    assert not out.exists()


def test_a_corpus_without_documents_exits_2(tmp_path, capsys):
    code, rows = search(tmp_path, ["{}"], QUERIES)
    assert (code, rows) == (2, None)
    assert "中没有可用的文档" in capsys.readouterr().err


@pytest.mark.parametrize("top", ["0", "-3"])
def test_top_must_be_positive(tmp_path, capsys, top):
    assert search(tmp_path, CORPUS, QUERIES, "--top", top) == (2, None)
    assert "--top 应为正整数" in capsys.readouterr().err


def test_output_folder_must_exist(tmp_path, capsys):
    corpus, queries = _jsonl(tmp_path / "c.jsonl", CORPUS), _jsonl(tmp_path / "q.jsonl", QUERIES)
    out = tmp_path / "missing" / "out.jsonl"
    assert main(["match", "search", "--corpus", corpus, "--queries", queries, "--output", str(out)]) == 2
    assert "输出文件夹不存在" in capsys.readouterr().err
