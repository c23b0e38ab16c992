"""The technology-transfer matcher (kechuang.engine.techtransfer.matching) on a tiny corpus: exact rankings."""

from __future__ import annotations

import pytest

from kechuang.engine.techtransfer.matching import Document, Hit, Matcher, Settings

CORPUS = [
    Document("P1", "防爆锂离子电池", ipc=("H01M",)),
    Document("P2", "一种锂电池正极材料", ipc=("H01M",)),
    Document("P3", "太阳能电池板清洗机器人", ipc=("H02S", "B08B")),
    Document("P4", "光伏组件清洗装置", ipc=("H02S",)),
    Document("P5", "污水处理装置", ipc=("C02F",)),
    Document("P6", "电池外壳防爆阀", ipc=("H01M",)),
    Document("P7", "一种电极浆料搅拌装置", ipc=("H01M", "B01F")),
    Document("P8", "水泵叶轮", ipc=("F04D",)),
]


@pytest.fixture(scope="module")
def matcher():
    return Matcher(CORPUS)


def test_ranking_scores_and_reasons(matcher):
    assert matcher.search("防爆锂电池的研发", top=5) == [
        Hit("P1", 2.0, "共同词：电池、防爆；IPC H01M"),
        Hit("P6", 1.8308, "共同词：电池、防爆；IPC H01M"),
        Hit("P2", 1.6597, "共同词：锂电池；IPC H01M"),
        Hit("P7", 1.0, "IPC H01M"),
        Hit("P3", 0.1389, "共同词：电池"),
    ]


def test_ipc_reranking_lifts_the_need_s_field_over_a_shared_word(matcher):
    """P3 (a solar panel) shares 电池 with the need, yet the battery patents of H01M rank above it, P7 even
    without a shared word; P4 follows only through P3's field (光伏, H02S); the pump in F04D is left out."""
    hits = matcher.search("电池", top=10)
    assert [h.id for h in hits] == ["P1", "P6", "P2", "P7", "P3", "P4"]
    assert [h.reason for h in hits[3:]] == ["IPC H01M", "共同词：电池", "相近领域 IPC H02S"]


def test_reason_names_shared_words_longest_first_then_every_subclass_pointed_to(matcher):
    assert matcher.search("光伏板清洗", top=2) == [
        Hit("P4", 2.0, "共同词：光伏、清洗；IPC H02S"),
        Hit("P3", 1.4112, "共同词：清洗；IPC H02S、B08B"),
    ]


def test_a_need_word_inside_a_longer_title_word_is_named(matcher):
    assert matcher.search("污水", top=3) == [Hit("P5", 2.0, "共同词：污水；IPC C02F")]


def test_ties_are_broken_by_id():
    twins = Matcher([Document("b", "石墨烯导热膜"), Document("a", "石墨烯导热膜"), Document("c", "石墨烯导热膜")])
    assert [h.id for h in twins.search("石墨烯", top=2)] == ["a", "b"]
    assert len({h.score for h in twins.search("石墨烯", top=3)}) == 1


@pytest.mark.parametrize("text", ["", "   ", "的了吗", "需求内容：我公司希望合作研发"])
def test_a_need_without_content_words_finds_nothing(matcher, text):
    assert matcher.search(text) == []


def test_top_bounds(matcher):
    assert matcher.search("电池", top=0) == []
    assert [h.id for h in matcher.search("电池", top=1)] == ["P1"]
    assert Matcher([]).search("电池") == []


def test_without_ipc_labels_ranking_is_lexical():
    plain = Matcher([Document(d.id, d.title) for d in CORPUS])
    assert [(h.id, h.reason) for h in plain.search("防爆锂电池")] == [
        ("P1", "共同词：电池、防爆"),
        ("P6", "共同词：电池、防爆"),
        ("P2", "共同词：锂电池"),
        ("P3", "共同词：电池"),
    ]


def test_document_text_is_searched_too():
    docs = [Document("A1", "新型材料", text="用于固态电池的硫化物电解质", ipc=("H01M",)), Document("A2", "新型涂料")]
    assert [(h.id, h.reason) for h in Matcher(docs).search("固态电解质")] == [("A1", "共同词：电解质、固态；IPC H01M")]


def test_documents_without_subclasses_beside_labelled_ones():
    docs = [Document("A2", "新型涂料"), Document("A1", "硫化物电解质", ipc=("H01M",)), Document("A3", "电解质涂料")]
    assert [h.id for h in Matcher(docs).search("固态电解质")] == ["A1", "A3"]


def test_search_many_is_search_per_text(matcher):
    texts = ["电池", "", "光伏清洗"]
    assert matcher.search_many(texts, top=3) == [matcher.search(t, top=3) for t in texts]


def test_search_many_over_forked_workers_keeps_the_order():
    texts = ["电池", "光伏清洗", "", "污水", "防爆"] * 3
    forked = Matcher(CORPUS, Settings(min_texts_per_worker=2))
    assert forked.search_many(texts, top=3, workers=3) == [forked.search(t, top=3) for t in texts]
