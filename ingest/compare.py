"""Compare two versions of one document, article by article (pure: no registry, no I/O).

Staff replacing a document see what the new file changes before it is stored: articles added,
removed and changed, each change as a word diff of the verbatim text, and the header facts
(number, title, dates…) that differ. Articles are matched by kind and number ("Điều 7" with
"Điều 7"): a renumbered article shows as one removed and one added, which is what it is for a
citation.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from core.vocab import unit_label
from ingest.model import Article, LegalDocument

# Header facts compared, with the label staff know them by.
HEADER_FIELDS = (("number", "Số hiệu"), ("doc_type", "Loại văn bản"), ("title", "Trích yếu"),
                 ("issuer", "Cơ quan ban hành"), ("issued_on", "Ngày ban hành"),
                 ("effective_from", "Ngày có hiệu lực"))
_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class FieldChange:
    name: str  # attribute of LegalDocument: "effective_from"
    label: str  # "Ngày có hiệu lực"
    old: str
    new: str


@dataclass(frozen=True)
class ArticleChange:
    """One article that is not the same in both versions."""

    kind: str  # "dieu" | "section"
    number: str
    status: str  # "added" | "removed" | "changed"
    old_title: str = ""
    new_title: str = ""
    old_text: str = ""
    new_text: str = ""
    # The word diff of old -> new text: ("same" | "del" | "ins", text with its whitespace).
    spans: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return unit_label(self.kind, self.number)

    @property
    def title(self) -> str:
        return self.new_title or self.old_title


@dataclass
class DocumentDiff:
    old_key: str
    new_key: str
    fields: list[FieldChange] = field(default_factory=list)
    articles: list[ArticleChange] = field(default_factory=list)  # in the new version's order, removed ones where they were
    unchanged: int = 0  # articles identical in both versions

    def _with(self, status: str) -> list[ArticleChange]:
        return [a for a in self.articles if a.status == status]

    @property
    def added(self) -> list[ArticleChange]:
        return self._with("added")

    @property
    def removed(self) -> list[ArticleChange]:
        return self._with("removed")

    @property
    def changed(self) -> list[ArticleChange]:
        return self._with("changed")

    @property
    def identical(self) -> bool:
        return not self.fields and not self.articles


def article_text(unit: Article) -> str:
    """What is compared: the verbatim text of the article (its heading is compared apart)."""
    return unit.full_text


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """Spans ("same" | "del" | "ins", text) that turn `old` into `new`, word by word.

    Whitespace is kept inside the spans so that joining the "same" and "del" spans gives back
    `old` exactly, and the "same" and "ins" spans give back `new`."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    spans: list[tuple[str, str]] = []

    def put(op: str, tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if spans and spans[-1][0] == op:
            spans[-1] = (op, spans[-1][1] + text)
        else:
            spans.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            put("same", a[i1:i2])
        else:
            put("del", a[i1:i2])
            put("ins", b[j1:j2])
    return tuple(spans)


def compare_documents(old: LegalDocument, new: LegalDocument) -> DocumentDiff:
    """Article-level comparison of the stored version `old` with the new version `new`."""
    diff = DocumentDiff(old_key=old.key, new_key=new.key)
    for name, label in HEADER_FIELDS:
        a, b = (getattr(old, name) or "").strip(), (getattr(new, name) or "").strip()
        if a != b:
            diff.fields.append(FieldChange(name, label, a, b))
    old_units = {(u.kind, u.number): u for u in old.units}
    new_keys = {(u.kind, u.number) for u in new.units}
    # Removed articles are listed where they stood: just before the first later article still there.
    pending_removed = [u for u in old.units if (u.kind, u.number) not in new_keys]
    old_order = {(u.kind, u.number): i for i, u in enumerate(old.units)}

    def flush_removed(before: int | None) -> None:
        while pending_removed and (before is None or old_order[(pending_removed[0].kind, pending_removed[0].number)] < before):
            u = pending_removed.pop(0)
            diff.articles.append(ArticleChange(u.kind, u.number, "removed", old_title=u.title,
                                               old_text=article_text(u)))

    for u in new.units:
        key = (u.kind, u.number)
        prev = old_units.get(key)
        if prev is None:
            diff.articles.append(ArticleChange(u.kind, u.number, "added", new_title=u.title, new_text=article_text(u)))
            continue
        flush_removed(old_order[key])
        a, b = article_text(prev), article_text(u)
        if a == b and prev.title == u.title:
            diff.unchanged += 1
            continue
        diff.articles.append(ArticleChange(u.kind, u.number, "changed", old_title=prev.title, new_title=u.title,
                                           old_text=a, new_text=b, spans=word_diff(a, b)))
    flush_removed(None)
    return diff
