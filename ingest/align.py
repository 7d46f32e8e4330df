"""Align two sequences of units by their content, keeping their order (pure).

Used for the articles of two versions of a document and for the khoản of one article
(ingest.compare). A number says where a unit stands, not what it says: inserting a new Điều 6
renumbers every later article, and matching by number reads that as "Điều 6 sửa đổi, Điều 7
sửa đổi, … Điều 21 thêm mới". So units are matched by what they say; numbers only break ties.

Why a sequence alignment rather than a best assignment by similarity: a document is read in order,
and an assignment free of order pairs a unit with a look-alike anywhere (two "Hiệu lực thi hành"
articles, boilerplate khoản), so that a plain insertion can read as units swapping places. Keeping
order makes the ordinary cases (insertion, deletion, amendment) come out as a reader says them,
and a unit that really moved is caught by a last, order-free pass over what is left:

1. identical units (same normalised heading and text) are matched by a sequence diff over the
   units (difflib over their signatures): the runs that did not change anchor everything else;
2. in each gap between anchors, the units left on both sides are matched by similarity, still in
   order (the chain of similar pairs with the highest total): the amended article pairs with its
   old self, the new one inserted before it stays "thêm";
3. what is still unmatched on both sides is paired by similarity, best first, regardless of order:
   a unit moved elsewhere (`moved=True`).

Similarity is the Dice coefficient of the two texts' word pairs (lower case, NFC, with the start
and end of the text as words, each pair counted as often as it occurs), the text weighing three
times the heading. Word pairs keep local order, so two unrelated legal texts sharing their common
words ("các", "quy định", "theo") stay far apart, and all pairs of two documents are scored by one
sparse product, without diffing each pair (difflib on every pair of two 700-article codes takes
minutes). THRESHOLD: below half of the word pairs in common a "sửa đổi" would be mostly struck
and inserted text, which reads better as one unit removed and one added. With the heading's
quarter, an article that keeps its heading ("Phạm vi điều chỉnh" in an old decree and in the one
replacing it) is matched from a third of its text's word pairs on, a renamed one from two thirds.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from core.vocab import nfc

THRESHOLD = 0.5  # least similarity of two units matched as one (see the module docstring)
TEXT_WEIGHT = 0.75  # the heading weighs the rest: a retitled article with the same text still matches
SAME_NUMBER_BONUS = 1e-3  # numbers only break ties between equally similar units
_WORD = re.compile(r"\w+")
_BLOCK = 1 << 20  # pairs scored at once: a few MB of arrays, whatever the documents' size


@dataclass(frozen=True)
class Unit:
    """What is aligned of a unit: its number (for ties), heading and text; `kind` must be equal."""

    number: str
    title: str
    text: str
    kind: str = ""


@dataclass(frozen=True)
class Match:
    """One step of the alignment: old and new index (None = added / removed)."""

    old: int | None
    new: int | None
    moved: bool = False  # matched out of order (pass 3)


def words(text: str) -> list[str]:
    return _WORD.findall(nfc(text).lower())


def word_pairs(ws: list[str]) -> list[str]:
    """Consecutive word pairs, each numbered by occurrence ("quy định#2"), with the start and end
    of the text as words (so that a one-word heading has pairs too): the Dice of two such lists as
    sets is the Dice of the pair multisets."""
    if not ws:
        return []
    seen: Counter = Counter()
    out = []
    for pair in zip(["^", *ws], [*ws, "$"]):
        seen[pair] += 1
        out.append(f"{pair[0]} {pair[1]}#{seen[pair]}")
    return out


class _Prepared:
    __slots__ = ("unit", "words", "title_words", "signature")

    def __init__(self, unit: Unit):
        self.unit = unit
        self.words, self.title_words = words(unit.text), words(unit.title)
        self.signature = "\x00".join((unit.kind, " ".join(self.title_words), " ".join(self.words)))


def _sparse(ids: list[list[int]], width: int):
    """Bags of ids as the rows of a sparse 0/1 matrix."""
    from scipy import sparse  # here: only a comparison needs it, not every process that imports this module

    indptr = np.cumsum([0] + [len(r) for r in ids])
    flat = np.fromiter((i for r in ids for i in r), dtype=np.int64, count=int(indptr[-1]))
    return sparse.csr_matrix((np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(len(ids), max(width, 1)))


class _Dice:
    """The Dice coefficient of old × new bags, a block of new ones at a time (one sparse product),
    and whether either bag of the pair holds anything."""

    def __init__(self, old: list[list[str]], new: list[list[str]]):
        vocab: dict[str, int] = {}
        a, b = ([[vocab.setdefault(t, len(vocab)) for t in bag] for bag in side] for side in (old, new))
        self.old, self.new = _sparse(a, len(vocab)), _sparse(b, len(vocab))
        self.old_len, self.new_len = np.array([len(x) for x in old]), np.array([len(x) for x in new])

    def block(self, cols: slice):
        shared = (self.old @ self.new[cols].T).toarray()
        total = np.add.outer(self.old_len, self.new_len[cols])
        return 2 * shared / np.maximum(total, 1), total > 0


def _scores(po: list[_Prepared], pn: list[_Prepared], rows: list[int], cols: list[int]) -> dict[tuple[int, int], float]:
    """The pairs of rows × cols similar enough to be matched (same kind, similarity ≥ THRESHOLD),
    with their score: the similarity, plus SAME_NUMBER_BONUS under the same number. The heading
    alone counts when neither has text, the text alone when neither has a heading (khoản)."""
    out: dict[tuple[int, int], float] = {}
    if not rows or not cols:
        return out
    old, new = [po[i] for i in rows], [pn[j] for j in cols]
    # Word pairs only of the units left once identical runs are matched: most of them, most often.
    texts = _Dice([word_pairs(p.words) for p in old], [word_pairs(p.words) for p in new])
    titles = _Dice([word_pairs(p.title_words) for p in old], [word_pairs(p.title_words) for p in new])
    kinds: dict[str, int] = {}
    old_kind = np.array([kinds.setdefault(p.unit.kind, len(kinds)) for p in old])
    new_kind = np.array([kinds.setdefault(p.unit.kind, len(kinds)) for p in new])
    step = max(1, _BLOCK // len(rows))
    for start in range(0, len(new), step):
        part = slice(start, start + step)
        (text, has_text), (title, has_title) = texts.block(part), titles.block(part)
        score = np.where(has_text & has_title, TEXT_WEIGHT * text + (1 - TEXT_WEIGHT) * title,
                         np.where(has_text, text, np.where(has_title, title, 1.0)))
        score = np.where(old_kind[:, None] == new_kind[None, part], score, 0.0)
        for a, b in zip(*np.nonzero(score >= THRESHOLD)):
            same = old[a].unit.number == new[start + b].unit.number
            out[(rows[a], cols[start + b])] = float(score[a, b]) + (SAME_NUMBER_BONUS if same else 0.0)
    return out


def similarity(x: Unit, y: Unit) -> float:
    """The similarity the alignment scores two units by (0 when below THRESHOLD or of other kinds)."""
    s = _scores([_Prepared(x)], [_Prepared(y)], [0], [0]).get((0, 0), 0.0)
    return s - SAME_NUMBER_BONUS if s and x.number == y.number else s


def _chain(pairs: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The chain of pairs increasing in both indexes with the highest total score (a weighted
    longest increasing subsequence over a Fenwick tree of prefix maxima: n log n in the pairs)."""
    pairs = sorted(pairs, key=lambda p: (p[0], -p[1]))  # pairs of one old unit never chain together
    ranks = {j: r + 1 for r, j in enumerate(sorted({p[1] for p in pairs}))}
    size = len(ranks)
    tree_best, tree_at = [0.0] * (size + 1), [-1] * (size + 1)
    best, prev = [0.0] * len(pairs), [-1] * len(pairs)
    for k, (_, j, s) in enumerate(pairs):
        r, top, at = ranks[j] - 1, 0.0, -1
        while r > 0:
            if tree_best[r] > top:
                top, at = tree_best[r], tree_at[r]
            r -= r & -r
        best[k], prev[k] = top + s, at
        r = ranks[j]
        while r <= size:
            if best[k] > tree_best[r]:
                tree_best[r], tree_at[r] = best[k], k
            r += r & -r
    k = max(range(len(pairs)), key=best.__getitem__, default=-1)
    out = []
    while k != -1:
        out.append(pairs[k][:2])
        k = prev[k]
    return out[::-1]


def align(old: list[Unit], new: list[Unit]) -> list[Match]:
    """Every old and every new unit once, in the new order; a removed unit where it stood (before
    the units added in its place)."""
    po, pn = [_Prepared(u) for u in old], [_Prepared(u) for u in new]
    ordered: dict[int, int] = {}  # new index -> old index, matched in order (passes 1 and 2)
    gaps = []
    matcher = difflib.SequenceMatcher(None, [p.signature for p in po], [p.signature for p in pn], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():  # pass 1
        if tag == "equal":
            ordered.update({j1 + k: i1 + k for k in range(i2 - i1)})
        elif tag == "replace":
            gaps.append((i1, i2, j1, j2))
    anchored = set(ordered.values())
    scores = _scores(po, pn, [i for i in range(len(old)) if i not in anchored],
                     [j for j in range(len(new)) if j not in ordered])
    # Pass 2: in each gap between identical runs, the best chain of similar pairs inside it.
    gap_of = {i: g for g, (i1, i2, _, _) in enumerate(gaps) for i in range(i1, i2)}
    inside: dict[int, list[tuple[int, int, float]]] = {}
    for (i, j), s in scores.items():
        g = gap_of.get(i)
        if g is not None and gaps[g][2] <= j < gaps[g][3]:
            inside.setdefault(g, []).append((i, j, s))
    for pairs in inside.values():
        ordered.update({j: i for i, j in _chain(pairs)})
    # Pass 3: what is left on both sides, paired best first regardless of order.
    taken = set(ordered.values())
    moved: dict[int, int] = {}
    for _, i, j in sorted((-s, i, j) for (i, j), s in scores.items() if i not in taken and j not in ordered):
        if i not in taken and j not in moved:
            moved[j] = i
            taken.add(i)
    return _in_display_order(len(old), len(new), ordered, moved)


def _in_display_order(n_old: int, n_new: int, ordered: dict[int, int], moved: dict[int, int]) -> list[Match]:
    matched = set(ordered.values()) | set(moved.values())
    removed = [i for i in range(n_old) if i not in matched]
    # The old index of the next in-order match after each new unit: the removed units before it
    # are shown first, so that a gap reads "bỏ …, thêm …" where it happened.
    next_anchor = [n_old] * (n_new + 1)
    for j in range(n_new - 1, -1, -1):
        next_anchor[j] = ordered.get(j, next_anchor[j + 1])
    out: list[Match] = []

    def flush(before: int) -> None:
        while removed and removed[0] < before:
            out.append(Match(removed.pop(0), None))

    for j in range(n_new):
        flush(next_anchor[j])
        if j in ordered:
            out.append(Match(ordered[j], j))
        elif j in moved:
            out.append(Match(moved[j], j, moved=True))
        else:
            out.append(Match(None, j))
    flush(n_old)
    return out
