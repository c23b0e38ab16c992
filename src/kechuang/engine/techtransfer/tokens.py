"""Chinese text → index terms: jieba words plus character bigrams of each Chinese run.

Words carry the meaning ("锂离子", "电池"); bigrams catch what the segmenter splits differently in a short title
and in a long need ("锂电池" against "锂离子电池" share "电池"). Bigrams are kept apart from words by a prefix so
that a reason shows words only. Words of one character and generic filler (stopwords.txt: "一种", "公司", …)
carry no topic and are dropped.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache
from importlib import resources

BIGRAM = "#"  # prefix of a bigram term; words never start with it (punctuation is not a term)
MIN_WORD_CHARS = 2
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_TERM = re.compile(r"[\u4e00-\u9fffa-z0-9]")


@cache
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@cache
def stopwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if (w := line.split("#", 1)[0].strip()))


def normalize(text: str) -> str:
    """Full-width letters and digits to half-width, lower case (ＰＶＣ → pvc)."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """The words of a text in order, filler and one-character words left out."""
    stop = stopwords()
    return [
        w
        for w in _segmenter().lcut(normalize(text), HMM=False)
        if len(w) >= MIN_WORD_CHARS and w not in stop and _TERM.search(w)
    ]


def bigrams(text: str) -> list[str]:
    stop = stopwords()
    out = []
    for run in _CJK_RUN.findall(normalize(text)):
        out.extend(BIGRAM + run[i : i + 2] for i in range(len(run) - 1) if run[i : i + 2] not in stop)
    return out


def terms(text: str) -> list[str]:
    """Every index term of a text, repeated as often as it occurs."""
    return words(text) + bigrams(text)
