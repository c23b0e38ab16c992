"""Match a need (free Chinese text) to documents (patents, achievements): ranked hits, each with its reason.

Two signals, both learned from the corpus at hand when the matcher is built (nothing downloaded):
1. Lexical: BM25 over index terms (jieba words and character bigrams, `tokens`) of each document's title and
   text. It finds titles that share the need's words.
2. The corpus's own labels: the IPC subclasses of its documents. From the titles the matcher learns, for every
   term, which subclasses it points to (a smoothed lift P(subclass | term) / P(subclass)); a need's terms add up
   to a score per subclass, blended with the subclasses of its best lexical hits (pseudo-relevance feedback).
   The IPC hierarchy passes part of a subclass's score to its siblings in the class (H01M → H01x). A document scores
   lexical + the best score among its subclasses, so titles of the right field rise above titles that share a
   word by accident (an "电池" of a solar panel clamp against the need's battery safety).
Ties are broken by document id, so the same input always gives the same ranking.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kechuang.engine.techtransfer import tokens

IPC_CLASS_CHARS = 3  # H01M → class H01
SCORE_DIGITS = 4


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str = ""
    ipc: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    reason: str


@dataclass(frozen=True)
class Settings:
    """How the signals are weighed. The defaults were set before the first benchmark run and not tuned since;
    any tuning belongs on the development needs of bench/bench_matching.py, never on its held-out half."""

    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    bigram_weight: float = 0.5  # a bigram counts half a word: it is the fallback when words differ
    lift_prior: float = 5.0  # pseudo-documents of the corpus-wide subclass mix added to each term's counts
    feedback_docs: int = 20  # best lexical hits whose subclasses vote
    feedback_weight: float = 0.5  # share of the votes in the subclass score (the rest: term lifts)
    class_share: float = 0.3  # part of a subclass's score its IPC siblings receive through the class
    field_weight: float = 1.0  # subclass score (0–1) added to the lexical score (0–1)
    reason_terms: int = 3  # shared words named in a reason
    reason_min_field: float = 0.5  # a subclass is named in the reason when its score is at least this
    longest_query_word: int = 8  # longer corpus words are not looked for in a need
    min_texts_per_worker: int = 200  # below this a process is not worth its start


DEFAULTS = Settings()


class _Postings:
    """A sparse term → (rows, values) table: one array of rows and values, sliced by term offsets."""

    def __init__(self, pairs: dict[int, dict[int, float]], n_terms: int):
        lengths = np.zeros(n_terms + 1, dtype=np.int64)
        for term, row in pairs.items():
            lengths[term + 1] = len(row)
        self.offsets = np.cumsum(lengths)
        self.rows = np.empty(self.offsets[-1], dtype=np.int32)
        self.values = np.empty(self.offsets[-1], dtype=np.float32)
        for term, row in pairs.items():
            start = self.offsets[term]
            self.rows[start : start + len(row)] = list(row)
            self.values[start : start + len(row)] = list(row.values())

    @classmethod
    def of_rows(cls, keys: np.ndarray, rows: np.ndarray, n_keys: int) -> _Postings:
        """key → rows, from parallel arrays sorted by key (values all 1)."""
        table = cls({}, n_keys)
        table.offsets = np.concatenate(([0], np.cumsum(np.bincount(keys, minlength=n_keys))))
        table.rows, table.values = rows.astype(np.int32), np.ones(len(rows), dtype=np.float32)
        return table

    def gather(self, term_ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows and weighted values of the given terms, concatenated."""
        starts, ends = self.offsets[term_ids], self.offsets[term_ids + 1]
        sizes = ends - starts
        if not sizes.sum():
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        index = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        return self.rows[index], self.values[index] * np.repeat(weights, sizes)


class Matcher:
    def __init__(self, documents: Iterable[Document], settings: Settings = DEFAULTS):
        self.settings = s = settings
        self.documents = list(documents)
        n = len(self.documents)
        self._vocab: dict[str, int] = {}
        doc_terms = [self._index_terms(f"{d.title} {d.text}") for d in self.documents]

        # BM25 document side, precomputed per (term, document).
        lengths = np.array([sum(c.values()) for c in doc_terms], dtype=np.float64)
        mean_length = lengths.mean() if n and lengths.sum() else 1.0
        df = Counter(t for c in doc_terms for t in c)
        postings: dict[int, dict[int, float]] = {}
        for row, counts in enumerate(doc_terms):
            norm = s.bm25_k1 * (1 - s.bm25_b + s.bm25_b * lengths[row] / mean_length)
            for term, tf in counts.items():
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                postings.setdefault(term, {})[row] = idf * tf * (s.bm25_k1 + 1) / (tf + norm)
        self._lexical = _Postings(postings, len(self._vocab))

        # The IPC labels: subclasses, their classes, and each document's subclasses as (document, subclass) pairs.
        self._subclasses = sorted({c for d in self.documents for c in d.ipc})
        self._sub_index = sub_index = {c: i for i, c in enumerate(self._subclasses)}
        classes = sorted({c[:IPC_CLASS_CHARS] for c in self._subclasses})
        self._class_of = np.array([classes.index(c[:IPC_CLASS_CHARS]) for c in self._subclasses], dtype=np.int32)
        self._n_classes = len(classes)
        pair_doc, pair_sub = [], []
        for row, d in enumerate(self.documents):
            for c in dict.fromkeys(d.ipc):
                pair_doc.append(row)
                pair_sub.append(sub_index[c])
        self._pair_doc = np.array(pair_doc, dtype=np.int32)
        self._pair_sub = np.array(pair_sub, dtype=np.int32)
        self._doc_subs = _Postings.of_rows(self._pair_doc, self._pair_sub, n)
        # Documents with the same subclasses score the same field: scored once per distinct set of subclasses.
        sets: dict[tuple[int, ...], int] = {}
        self._doc_set = np.array(
            [sets.setdefault(tuple(sorted({sub_index[c] for c in d.ipc})), len(sets)) for d in self.documents],
            dtype=np.int32,
        )
        # An empty set holds the index one past the last subclass, whose field is 0.
        set_subs = [t or (len(self._subclasses),) for t in sets]
        self._set_starts = np.cumsum([0] + [len(t) for t in set_subs[:-1]])
        self._set_subs = np.array([c for t in set_subs for c in t], dtype=np.int32)
        self._lift = self._learn_lifts(doc_terms)
        # The query side looks for corpus words in the need: word lengths by their first two characters.
        by_prefix: dict[str, set[int]] = {}
        for term in self._vocab:
            if not term.startswith(tokens.BIGRAM) and len(term) <= s.longest_query_word:
                by_prefix.setdefault(term[: tokens.MIN_WORD_CHARS], set()).add(len(term))
        self._word_lengths = {prefix: tuple(sorted(lengths)) for prefix, lengths in by_prefix.items()}

        self._id_rank = np.empty(n, dtype=np.int64)
        self._id_rank[np.argsort(np.array([d.id for d in self.documents], dtype=object), kind="stable")] = np.arange(n)

    def _index_terms(self, text: str) -> Counter:
        """Term id → weighted count of a document; new terms join the vocabulary."""
        counts: Counter = Counter()
        for term in tokens.terms(text):
            term_id = self._vocab.setdefault(term, len(self._vocab))
            counts[term_id] += self.settings.bigram_weight if term.startswith(tokens.BIGRAM) else 1.0
        return counts

    def _learn_lifts(self, doc_terms: list[Counter]) -> _Postings:
        """For each term, log(P(subclass | term) / P(subclass)) where positive, smoothed towards the corpus mix."""
        n_sub = len(self._subclasses)
        if not n_sub:
            return _Postings({}, len(self._vocab))
        prior = np.bincount(self._pair_sub, minlength=n_sub) / len(self._pair_sub)
        by_term: dict[int, Counter] = {}
        for row, sub in zip(self._pair_doc.tolist(), self._pair_sub.tolist(), strict=True):
            for term in doc_terms[row]:
                by_term.setdefault(term, Counter())[sub] += 1
        lifts: dict[int, dict[int, float]] = {}
        mu = self.settings.lift_prior
        for term, subs in by_term.items():
            total = sum(subs.values())
            for sub, count in subs.items():
                lift = math.log((count + mu * prior[sub]) / (total + mu) / prior[sub])
                if lift > 0:
                    lifts.setdefault(term, {})[sub] = lift
        return _Postings(lifts, len(self._vocab))

    # Scoring -------------------------------------------------------------------------------------------------

    def _need_words(self, text: str) -> list[str]:
        """Every corpus word the need contains, as often as it occurs: a need is not segmented but searched for
        the corpus's words, so that "锂离子电池组" finds the titles' "锂离子", "电池" and "电池组" alike."""
        text = tokens.normalize(text).replace(tokens.BIGRAM, " ")  # a bigram term is never a word of the need
        vocab, by_prefix, prefix = self._vocab, self._word_lengths, tokens.MIN_WORD_CHARS
        found = []
        for start in range(len(text) - 1):
            for length in by_prefix.get(text[start : start + prefix], ()):
                word = text[start : start + length]
                if word in vocab:
                    found.append(word)
        return found

    def _query(self, words: list[str], bigrams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        counts: Counter = Counter()
        for word in words:
            counts[self._vocab[word]] += 1.0
        for bigram in bigrams:
            if (term := self._vocab.get(bigram)) is not None:
                counts[term] += self.settings.bigram_weight
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        # A need that repeats a word is about it, but not ten times more: log damping.
        weights = np.log1p(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        return ids, weights.astype(np.float32)

    def _field_scores(self, ids, weights, lexical: np.ndarray) -> np.ndarray:
        """A score in 0–1 per subclass: term lifts blended with the subclasses of the best lexical hits."""
        s = self.settings
        n_sub = len(self._subclasses)
        rows, values = self._lift.gather(ids, weights)
        by_terms = np.bincount(rows, weights=values, minlength=n_sub)
        top = np.flatnonzero(lexical)
        if len(top) > s.feedback_docs:
            top = top[np.argpartition(-lexical[top], s.feedback_docs)[: s.feedback_docs]]
        subs, weights = self._doc_subs.gather(top, lexical[top])
        votes = np.bincount(subs, weights=weights, minlength=n_sub)
        field = (1 - s.feedback_weight) * _unit(by_terms) + s.feedback_weight * _unit(votes)
        by_class = np.zeros(self._n_classes)
        np.maximum.at(by_class, self._class_of, field)
        return np.maximum(field, s.class_share * by_class[self._class_of])

    def _scores(self, words: list[str], bigrams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Score per document and score per subclass for a need."""
        n = len(self.documents)
        ids, weights = self._query(words, bigrams)
        rows, values = self._lexical.gather(ids, weights)
        lexical = np.bincount(rows, weights=values, minlength=n)
        if not len(self._subclasses) or not lexical.any():
            return _unit(lexical), np.zeros(len(self._subclasses))
        field = self._field_scores(ids, weights, lexical)
        set_field = np.maximum.reduceat(np.append(field, 0.0)[self._set_subs], self._set_starts)
        scores = (self.settings.field_weight * set_field)[self._doc_set]
        scores += lexical / lexical.max()
        return scores, field

    def search(self, text: str, top: int = 10) -> list[Hit]:
        """The best `top` documents for a need, best first; documents sharing nothing with it are left out."""
        if top <= 0 or not self.documents:
            return []
        words, bigrams = self._need_words(text), tokens.bigrams(text)
        scores, field = self._scores(words, bigrams)
        rows = self._best(scores, top)
        need_words = set(words)
        need_bigrams = {b.removeprefix(tokens.BIGRAM) for b in bigrams}
        return [
            Hit(
                self.documents[r].id,
                round(float(scores[r]), SCORE_DIGITS),
                self._reason(r, need_words, need_bigrams, field),
            )
            for r in rows
        ]

    def search_many(self, texts: Sequence[str], top: int = 10, workers: int = 1) -> list[list[Hit]]:
        """`search` for each text, in order. With workers > 1 a large batch is split over that many forked
        processes (they share the index copy-on-write); a web process should leave it at 1."""
        texts = list(texts)
        if workers <= 1 or len(texts) < workers * self.settings.min_texts_per_worker:
            return [self.search(text, top) for text in texts]
        global _forked
        _forked = self
        size = -(-len(texts) // workers)
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        try:
            with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
                parts = pool.starmap(_search_chunk, [(chunk, top) for chunk in chunks])
        finally:
            _forked = None
        return [hits for part in parts for hits in part]

    def _best(self, scores: np.ndarray, top: int) -> np.ndarray:
        """Rows of the `top` highest positive scores, ties by document id."""
        kth = np.partition(scores, len(scores) - top)[len(scores) - top] if len(scores) > top else 0
        chosen = np.flatnonzero(scores >= kth if kth > 0 else scores > 0)  # every tie of the kth score
        order = np.lexsort((self._id_rank[chosen], -scores[chosen]))
        return chosen[order][:top]

    def _reason(self, row: int, need_words: set[str], need_bigrams: set[str], field: np.ndarray) -> str:
        """Shared words (the need's words found in the document, else shared character pairs), then the subclasses
        of the document that the need points to."""
        s = self.settings
        document = self.documents[row]
        text = tokens.normalize(f"{document.title} {document.text}")
        shared = [w for w in need_words if w in text] or [b for b in need_bigrams if b in text]
        named, covered = [], set()  # longest first; a word overlapping one named in the title is a fragment
        for word in sorted(shared, key=lambda w: (-len(w), w)):
            span = set(range(text.find(word), text.find(word) + len(word)))
            if len(named) < s.reason_terms and not span & covered:
                named.append(word)
                covered |= span
        parts = [f"共同词：{'、'.join(named)}"] if named else []
        own = list(dict.fromkeys(document.ipc))
        subs = [c for c in own if field[self._sub_index[c]] >= s.reason_min_field]
        if subs:
            parts.append(f"IPC {'、'.join(subs)}")
        elif not parts:  # ranked by its field alone, and a field the need points to only weakly
            parts.append(f"相近领域 IPC {max(own, key=lambda c: field[self._sub_index[c]])}")
        return "；".join(parts)


_forked: Matcher | None = None  # the matcher a forked worker of search_many searches with


def _search_chunk(texts: list[str], top: int) -> list[list[Hit]]:
    return [_forked.search(text, top) for text in texts]


def _unit(values: np.ndarray) -> np.ndarray:
    """Scaled so that the largest is 1 (all zeros stay zeros)."""
    peak = values.max() if len(values) else 0.0
    return values / peak if peak > 0 else values
