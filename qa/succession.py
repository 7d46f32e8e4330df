"""Bodies that no longer exist as the texts name them (corpus/catalog.toml [[succession]]), said in
one line each.

The provisions in the base were written for the bodies of their day: "báo cáo Bộ Thông tin và
Truyền thông", "Ủy ban nhân dân cấp huyện". Where a quoted text names such a body (core.bodies reads
names and levels; this module adds no list of names of its own), answers, lookups and exports add the
line that says who does it now and by which document; and a question naming the new body is also
searched with the former name (`Question.parse`), the answer saying it read the question that way.
An entry not yet checked against the documents' text says so on every line it gives.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from core.bodies import levels_in, names_in
from core.vocab import fold, format_iso, spell_out
from ingest.catalog import Catalog, Succession
from ingest.identity import document_name

UNVERIFIED = "(chưa đối chiếu văn bản)"


def changes_named(text: str, successions: Sequence[Succession], as_of: str | None = None) -> list[Succession]:
    """The entries whose former body (or level of local government) `text` names, in catalogue
    order; on an as-of date before a change, the text named the body of its day: not that change."""
    out = []
    for s in successions:
        if as_of and s.effective_from and as_of < s.effective_from:
            continue
        named = s.former_level in levels_in(text) if s.former_level else bool(names_in(text, s.former_names))
        if named:
            out.append(s)
    return out


def _function_words(functions: str) -> list[str]:
    """"quản lý nhà nước về báo chí, thông tin đối ngoại" -> ["bao chi", "thong tin doi ngoai"]."""
    parts = re.split(r",|;|\bva\b", fold(functions))
    return [re.sub(r"^\s*quan ly nha nuoc ve\s+", "", p).strip() for p in parts if p.strip()]


def successors_named(text: str, successions: Sequence[Succession]) -> list[Succession]:
    """The entries whose successor `text` names while it does not name the former body itself. When
    only some functions moved ("transferred": the successor had duties of its own before, which the
    texts write under its own name), only a question about those functions: "Bộ Văn hóa, Thể thao và
    Du lịch quản lý những hoạt động nào" asks about that ministry's own provisions."""
    folded = spell_out(" " + " ".join(re.findall(r"[a-z0-9]+", fold(text))) + " ")
    out = []
    for s in successions:
        if not (s.former and s.successor_names and names_in(text, s.successor_names)
                and not names_in(text, s.former_names)):
            continue
        if s.change == "transferred" and s.functions and not any(
                f" {w} " in folded for w in _function_words(s.functions)):
            continue
        out.append(s)
    return out


def instrument_names(s: Succession, catalog: Catalog) -> str:
    """"Nghị định 43/2025/NĐ-CP"; a law catalogued without its number: its name and year."""
    names = []
    for ref in s.instruments:
        e = catalog.find(ref)
        if e is None:  # load_catalog refuses this; kept readable should a caller build entries by hand
            names.append(ref)
            continue
        name = document_name(e.number, e.doc_type, e.title)
        year = (e.issued_on or "")[:4] or (str(e.issued_year) if e.issued_year else "")
        names.append(name if e.number or not year else f"{name} {year}")
    return "; ".join(names)


def _statement(s: Succession) -> str:
    if s.statement:
        return s.statement
    former = s.former
    return {
        "transferred": f"chức năng {s.functions} của {former} do {s.successor} thực hiện",
        "renamed": f"{former} đổi tên thành {s.successor}",
        "merged": f"{former} hợp nhất vào {s.successor}",
        "split": f"{former} được tách thành {s.successor}",
    }.get(s.change, f"{former} không còn")


def change_line(s: Succession, catalog: Catalog) -> str:
    """"Từ 01/03/2025, chức năng … của Bộ … do Bộ … thực hiện (Nghị định 43/2025/NĐ-CP) (chưa đối chiếu văn bản)."."""
    said = _statement(s)
    line = f"Từ {format_iso(s.effective_from)}, {said}" if s.effective_from else said[:1].upper() + said[1:]
    return f"{line} ({instrument_names(s, catalog)})" + ("" if s.verified else f" {UNVERIFIED}") + "."


def notes_for(texts: Iterable[str], catalog: Catalog, as_of: str | None = None) -> list[str]:
    """One line per change a body named in `texts` went through (the quotes of an answer, a looked-up
    unit), in catalogue order, each once."""
    found: dict[int, Succession] = {}
    for text in texts:
        for s in changes_named(text or "", catalog.successions, as_of):
            found.setdefault(catalog.successions.index(s), s)
    return [change_line(found[i], catalog) for i in sorted(found)]


def reading_note(s: Succession, catalog: Catalog) -> str:
    """How the answer says a question naming the new body was also searched with the former name."""
    line = change_line(s, catalog)
    return f"Câu hỏi nêu {s.successor}; đã tìm cả các quy định ghi tên {s.former}: {line[:1].lower()}{line[1:]}"


def changes_made_by(key: str, catalog: Catalog) -> list[str]:
    """The lines of the changes a catalogued document made (shown with it in the document list)."""
    return [change_line(s, catalog) for s in catalog.successions
            if any((e := catalog.find(ref)) is not None and e.key == key for ref in s.instruments)]
