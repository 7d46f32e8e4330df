"""One `Question`, parsed once per ask: everything the retriever, the ranker's features, the plan,
the basis and the renderer need to know of what was asked. Nothing below the service reads the
raw question string again (qa.intent holds the pure cue tables this is built from).

A follow-up ("còn cấp xã thì sao?", "cơ quan đó phải báo cáo khi nào?") is read with the previous
question: its documents, its asker when it names none, and its words for the search; the answer
says which question it continued.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.bodies import actors_in, bodies_in, levels_in
from core.vocab import PLAIN_STOPWORDS, fold, nfc
from ingest.catalog import Succession
from ingest.lexical import is_unaccented
from qa.intent import (asks_applicability, body_name_words, expected_answers, legal_name_expansion, plain,
                       question_parts, quoted_terms)
from qa.references import DocDescriptor, find_document_mentions
from qa.succession import successors_named

# Cues that a question continues the previous one: it points back ("cơ quan đó", "văn bản này",
# "như vậy") or asks only about a change of subject ("còn cấp xã thì sao?", "thế còn …").
_CONTINUES_RE = re.compile(
    r"^(?:con|the con|vay con|vay|the thi|neu vay|nhu vay|truong hop do|khi do|sau do)\b"
    r"|\b(?:thi sao|the nao ha|(?:co quan|don vi|van ban|nghi dinh|thong tu|luat|dieu|khoan|viec|nguoi|to chuc"
    r"|ho so|thu tuc|bao cao|ke hoach|quy dinh|truong hop) (?:do|nay|tren|vua neu|vua roi|noi tren)|nhu vay|nhu the)\b")
# A question this short with no document, body or subject of its own cannot stand alone.
_MAX_WORDS_ALONE = 6
# "… có được … không?", "… có phải … không?", "… được không?": asks yes or no.
_YES_NO_RE = re.compile(r"\b(?:co (?:\S+ ){0,14}(?:khong|ko|k)|(?:duoc|phai|can) (?:khong|ko|k)|hay khong|dung khong"
                        r"|co phai|phai khong|chua)\s*\??\s*$")


@dataclass(frozen=True)
class Question:
    """A question as typed, parsed once. `search_text` is what retrieval searches: the question, and
    for a follow-up the previous question before it."""

    text: str
    search_text: str
    folded: str  # plain(search_text)
    unaccented: bool
    parts: int
    expects: frozenset[str]
    quoted: tuple[str, ...]
    asker: str  # kind of body asking or asked about (core.bodies.bodies_in), "" if none
    bodies: tuple[str, ...]
    applicability: bool  # asks whom a named document applies to
    yes_no: bool
    mentioned: tuple[str, ...] = ()  # keys of loaded documents it names (the previous question's too)
    missing: tuple[str, ...] = ()  # catalogued documents it names whose text is not in the base
    legal_name: str = ""  # the legal name of the asker's everyday body name, searched too
    continues: str = ""  # the previous question's text when this one was read as its follow-up
    words: frozenset[str] = field(default_factory=frozenset)  # content words (lower case), for coverage
    # the coarse kinds (ministry / local government) and the levels of local government it names
    actors: tuple[str, ...] = ()
    levels: frozenset[str] = frozenset()
    # changes of body (corpus/catalog.toml [[succession]]) whose new body the question names: it was
    # searched with the former name too (qa.succession), and the answer says so
    read_as: tuple[Succession, ...] = ()

    @classmethod
    def parse(cls, text: str, loaded: list[DocDescriptor] | None = None,
              catalogued: list[DocDescriptor] | None = None, previous: "Question | None" = None,
              successions: Sequence[Succession] = ()) -> "Question":
        text = nfc(text or "").strip()
        loaded, catalogued = loaded or [], catalogued or []
        own_mentioned = find_document_mentions(text, loaded) if loaded else []
        own_bodies = bodies_in(text)
        follow = previous is not None and continues_previous(text, bool(own_mentioned), bool(own_bodies))
        search_text = f"{previous.text} {text}" if follow else text
        unaccented = is_unaccented(search_text)
        # The ONE query expansion for bodies that took over another's functions: a question naming
        # "Bộ Văn hóa, Thể thao và Du lịch" is searched with "Bộ Thông tin và Truyền thông" appended,
        # since the provisions in force were written for the former body.
        read_as = tuple(successors_named(search_text, successions))
        if read_as:
            search_text = " ".join([search_text, *dict.fromkeys(s.former for s in read_as)])
        mentioned = list(own_mentioned) + ([k for k in previous.mentioned if k not in own_mentioned] if follow else [])
        loaded_keys = {d.key for d in loaded}
        missing = [k for k in find_document_mentions(search_text, catalogued) if k not in loaded_keys] if catalogued else []
        parts = question_parts(text)
        # the asker: the one the follow-up names ("còn cấp xã thì sao?"), else the previous question's
        asker = own_bodies[0] if own_bodies else (previous.asker if follow else "")
        bodies = tuple(own_bodies) + (tuple(b for b in previous.bodies if b not in own_bodies) if follow else ())
        expects = expected_answers(text) if parts <= 1 else frozenset()
        if follow and not expects and previous.parts <= 1:
            expects = previous.expects  # "còn cấp xã thì sao?" asks what the first question asked
        return cls(
            text=text, search_text=search_text, folded=plain(search_text), unaccented=unaccented,
            parts=parts, expects=expects, quoted=tuple(quoted_terms(search_text)), asker=asker, bodies=bodies,
            applicability=asks_applicability(text) or (follow and previous.applicability),
            yes_no=bool(_YES_NO_RE.search(plain(text).rstrip())), mentioned=tuple(mentioned), missing=tuple(missing),
            legal_name=legal_name_expansion(search_text, asker), continues=previous.text if follow else "",
            words=frozenset(w for w in re.findall(r"\w+", search_text.lower())
                            if w not in PLAIN_STOPWORDS and not w.isdigit() and len(w) > 1),
            actors=tuple(actors_in(search_text)), levels=frozenset(levels_in(search_text)), read_as=read_as,
        )

    def body_words(self, segmented: list[str]) -> frozenset[str]:
        """The segmented words of the asker's everyday body name ("sở", "tư_pháp")."""
        return body_name_words(segmented, self.asker)


def continues_previous(text: str, names_document: bool, names_body: bool) -> bool:
    """Whether a question continues the previous one rather than standing alone."""
    p = plain(text).strip()
    if _CONTINUES_RE.search(p):
        return True
    content = [w for w in p.split() if w not in _FOLDED_PLAIN_STOPWORDS]
    return len(content) <= _MAX_WORDS_ALONE and not names_document and not names_body and len(p.split()) <= 10


_FOLDED_PLAIN_STOPWORDS = frozenset(fold(w) for w in PLAIN_STOPWORDS)
