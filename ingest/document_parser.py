"""Clean lines of an ORIGINAL Vietnamese legal document -> LegalDocument (pure functions).

Reading order of a document: header (motto, issuer, "Số: …", place and date, type + title or
"V/v …", "Kính gửi"), preamble ("Căn cứ …", "Theo đề nghị …", enacting formula), body (Phần /
Chương / Mục / Điều, or numbered sections I. / 1. / (1) / a) in documents without Điều), then the
signature block. Text is split and trimmed, never rewritten: every clause and point is verbatim.
"""
from __future__ import annotations

import re

from pathlib import Path

from core.vocab import DOC_TYPES, UNIT_WORDS, aligned_fold, fold, iso_date
from ingest.model import Article, Clause, LegalDocument, Point
from ingest.structure import CLAUSE_RE, POINT_LETTERS, POINT_RE, quoted_lines, split_clauses
from ingest.text import clean_lines

DIEU_RE = re.compile(r"^(?:Điều|ĐIỀU)\s+(\d{1,3}[a-zđ]?)\s*(?:[.:]\s*(.*))?$")
PHAN_RE = re.compile(r"^(?:Phần|PHẦN)\s+((?:thứ|THỨ)\s+\S+|[IVXLC]+|\d+)\b\s*[.:–-]?\s*(.*)$")
CHUONG_RE = re.compile(r"^(?:Chương|CHƯƠNG)\s+([IVXLC]+|\d+)\b\s*[.:–-]?\s*(.*)$")
MUC_RE = re.compile(r"^(?:Mục|MỤC)\s+(\d+|[IVXLC]+)\b\s*[.:–-]?\s*(.*)$")
PREAMBLE_RE = re.compile(r"^(?:Căn cứ|Theo đề nghị|Xét đề nghị|Theo đề xuất|Xét đề xuất)\b")
ENACTING_RE = re.compile(
    r"\bban hành\s+(?:Nghị định|Thông tư|Luật|Bộ luật|Quyết định|Nghị quyết|Pháp lệnh|Chỉ thị|Quy định|Quy chế)\b"
    r"|^(?:QUYẾT ĐỊNH|QUYẾT NGHỊ|NGHỊ QUYẾT|CHỈ THỊ)\s*:$"
)
MOTTO_RES = [
    re.compile(r"CỘNG\s+H(?:ÒA|OÀ)\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA\s+VIỆT\s+NAM", re.I),
    re.compile(r"Độc\s+lập\s*[-–—]\s*Tự\s+do\s*[-–—]\s*Hạnh\s+phúc", re.I),
    re.compile(r"ĐẢNG\s+CỘNG\s+SẢN\s+VIỆT\s+NAM", re.I),
]
NUMBER_RE = re.compile(r"(?:^|\s)(?:Luật\s+|Bộ luật\s+|Pháp lệnh\s+)?Số\s*:?\s*(\S*\d[^\s,;]*)", re.I)
DATE_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I)
DECORATION_RE = re.compile(r"[-_*=~.•]{3,}|^\s*[*]+\s*$|^o0o$")
KINH_GUI_RE = re.compile(r"^Kính\s+gửi\b", re.I)
SUBJECT_RE = re.compile(r"^V/[vV]\s*[:.]?\s*(.+)$")
AUTHORITY_RE = re.compile(
    r"^(?:BỘ TRƯỞNG|THỦ TƯỚNG|CHỦ TỊCH|CỤC TRƯỞNG|GIÁM ĐỐC|TỔNG GIÁM ĐỐC|VỤ TRƯỞNG|THỐNG ĐỐC|VIỆN TRƯỞNG|CHÁNH ÁN)\b"
)
SIGNATURE_RE = re.compile(r"^(?:Nơi nhận\b|TM\.|T/M\b|T\.M\.|KT\.|K/T\b|TL\.|TUQ\.|\(Đã ký)")
SIGNER_TITLE_RE = re.compile(
    r"^(?:PHÓ\s+)?(?:THỦ TƯỚNG|BỘ TRƯỞNG|CHỦ TỊCH|TỔNG BÍ THƯ|THỨ TRƯỞNG|CỤC TRƯỞNG|GIÁM ĐỐC|VỤ TRƯỞNG|"
    r"CHÁNH VĂN PHÒNG|THƯỜNG TRỰC)\b"
)
EFFECTIVE_RE = re.compile(
    r"có hiệu lực(?: thi hành)?(?: kể)? từ ngày\s+(?:(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
    r"|(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(ký))"
)

# A draft's mark in its header: "DỰ THẢO", "(Dự thảo lần 2)", "Dự thảo lấy ý kiến", "Bản chưa ban hành".
DRAFT_RE = re.compile(r"(?:[(\[]\s*)?(?:ban\s+)?\b(?:du\s+thao|lay\s+y\s+kien|chua\s+ban\s+hanh)\b")
# A line that is nothing but the mark (folded; the few words a mark adds: "lần 2", "để lấy ý kiến", a date):
# a title may well be "Về việc lấy ý kiến nhân dân về dự thảo …".
DRAFT_LINE_RE = re.compile(r"^[(\[]?\s*(?:ban\s+)?(?:du\s+thao|lay\s+y\s+kien|chua\s+ban\s+hanh)\b"
                           r"(?:[^a-z]|\b(?:lan|thu|so|ngay|de|xin|gop|lay|y|kien|chua|ban|hanh|du|thao)\b)*$")
# Number patterns -> type, when the header has no type word (Công văn, Party documents).
NUMBER_TYPES = [
    (r"/NĐ-", "Nghị định"), (r"/TTLT-", "Thông tư liên tịch"), (r"/TT-", "Thông tư"),
    (r"/QĐ-|-QĐ/", "Quyết định"), (r"/NQLT-", "Nghị quyết liên tịch"), (r"/NQ-|-NQ/", "Nghị quyết"),
    (r"-KL/", "Kết luận"), (r"/CT-|-CT/", "Chỉ thị"), (r"/TB-|-TB/", "Thông báo"), (r"/KH-|-KH/", "Kế hoạch"),
    (r"/HD-|-HD/", "Hướng dẫn"), (r"/CĐ-", "Công điện"), (r"-CV/", "Công văn"),
    # "3837/BTTTT-TTĐN": number/agency code without a year or a type code is an official letter
    (r"^\d+[a-z]?/[A-ZĐ][A-ZĐ0-9]*(?:-[A-ZĐ0-9]+)*$", "Công văn"),
]
ISSUERS = {fold(k): v for k, v in {
    "CHÍNH PHỦ": "Chính phủ", "QUỐC HỘI": "Quốc hội", "THỦ TƯỚNG CHÍNH PHỦ": "Thủ tướng Chính phủ",
    "BỘ CHÍNH TRỊ": "Bộ Chính trị", "BAN BÍ THƯ": "Ban Bí thư", "CHỦ TỊCH NƯỚC": "Chủ tịch nước",
    "BAN CHẤP HÀNH TRUNG ƯƠNG": "Ban Chấp hành Trung ương", "ỦY BAN THƯỜNG VỤ QUỐC HỘI": "Ủy ban Thường vụ Quốc hội",
    "BỘ THÔNG TIN VÀ TRUYỀN THÔNG": "Bộ Thông tin và Truyền thông", "BỘ NGOẠI GIAO": "Bộ Ngoại giao",
    "BAN TUYÊN GIÁO TRUNG ƯƠNG": "Ban Tuyên giáo Trung ương",
}.items()}
# Proper nouns kept capitalised when an upper-case title is put in sentence case.
PROPER_NOUNS = ["Việt Nam", "Nhà nước", "Trung ương", "Chính phủ", "Quốc hội", "Bộ Chính trị", "Ban Bí thư",
                "Mặt trận Tổ quốc", "Hồ Chí Minh", "Thủ tướng"]


def is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def is_substantive(line: str) -> bool:
    """A sentence of body text (not a title, byline or caption)."""
    words = len(line.split())
    return words >= 25 or (words >= 8 and line.rstrip().endswith((".", ":", ";", ".)")))


def sentence_case(text: str) -> str:
    """"VỀ QUẢN LÝ …" -> "Về quản lý …" (only for all-upper text; mixed case is kept)."""
    if is_upper(text):
        text = text.lower()
        for noun in PROPER_NOUNS:
            text = re.sub(rf"\b{re.escape(noun.lower())}\b", noun, text)
    return text[:1].upper() + text[1:]


# Local government in a header: its body ("ỦY BAN NHÂN DÂN", "UBND", "HỘI ĐỒNG NHÂN DÂN", "HĐND") and its
# unit ("TỈNH AN BÌNH"), on one line or two. The formal name, as citations write it, puts the body in
# sentence case, the unit word in lower case and each syllable of the place name capitalised:
# "Ủy ban nhân dân tỉnh An Bình". Matched on aligned folded text, so "UỶ"/"ỦY" both count.
_LOCAL_HEADS = {"uy ban nhan dan": "Ủy ban nhân dân", "ubnd": "Ủy ban nhân dân",
                "hoi dong nhan dan": "Hội đồng nhân dân", "hdnd": "Hội đồng nhân dân"}
_LOCAL_HEAD_RE = re.compile(r"^(uy ban nhan dan|ubnd|hoi dong nhan dan|hdnd)\s+")
# (not a Party committee: "TỈNH ỦY AN BÌNH", "HUYỆN ỦY …")
_UNIT_RE = re.compile(r"^(thanh pho|thi xa|thi tran|dac khu|tinh|huyen|quan|xa|phuong)\s+(?!uy\b)(\S.*)$")


def local_unit(text: str) -> str:
    """"TỈNH AN BÌNH" -> "tỉnh An Bình"; "" when the text is not an administrative unit's name."""
    text = text.strip(" ,*-")
    m = _UNIT_RE.match(aligned_fold(text))
    if not m:
        return ""
    place = " ".join(w[:1].upper() + w[1:].lower() for w in text[m.start(2):].split())
    return f"{text[:m.end(1)].lower()} {place}"


def local_body(text: str) -> str:
    """"UBND TỈNH AN BÌNH", "ỦY BAN NHÂN DÂN TỈNH AN BÌNH" -> "Ủy ban nhân dân tỉnh An Bình"; "" otherwise."""
    text = text.strip(" ,*-")
    folded = aligned_fold(text)
    m = _LOCAL_HEAD_RE.match(folded)
    unit = local_unit(text[m.end():]) if m else ""
    return f"{_LOCAL_HEADS[m.group(1)]} {unit}" if unit else ""


def normalise_issuer(text: str) -> str:
    text = text.strip(" ,*-")
    return ISSUERS.get(fold(text)) or local_body(text) or text


def formal_issuer(lines: list[str]) -> tuple[str, str]:
    """(the issuer's formal name, a warning for staff or "") from the header's upper-case issuer lines.

    The issuing body is the last line; when that line is only a place ("TỈNH AN BÌNH"), the body is
    named on the line above ("ỦY BAN NHÂN DÂN"): joined, "Ủy ban nhân dân tỉnh An Bình". A place with
    no body above it is kept as read, with a warning: a citation "… của TỈNH AN BÌNH" is wrong, and
    which body of the province issued it is not guessed."""
    bodies = _issuer_bodies(lines)
    last = bodies[-1]
    unit = local_unit(last)
    if not unit:
        return normalise_issuer(last), ""
    head = _LOCAL_HEADS.get(" ".join(re.findall(r"[a-z]+", fold(bodies[-2])))) if len(bodies) > 1 else None
    if head:
        return f"{head} {unit}", ""
    return normalise_issuer(last), (
        f"Cơ quan ban hành chỉ đọc được tên địa phương “{last}” (không thấy dòng “ỦY BAN NHÂN DÂN” hay “HỘI ĐỒNG "
        f"NHÂN DÂN” phía trên): sửa thành tên đầy đủ của cơ quan, ví dụ “Ủy ban nhân dân {unit}”, trước khi nạp.")


def structural_heading(line: str):
    """("dieu"|"chuong"|"muc"|"phan", number, title) or None. A lower-case "title" means the line
    is a sentence mentioning a chapter ("Chương II của Luật …"), not a heading."""
    for kind, rx in (("dieu", DIEU_RE), ("chuong", CHUONG_RE), ("muc", MUC_RE), ("phan", PHAN_RE)):
        m = rx.match(line)
        if m and not (m.group(2) or "")[:1].islower():
            return kind, m.group(1), (m.group(2) or "").strip()
    return None


def type_heading(line: str):
    """An upper-case type line: "NGHỊ ĐỊNH", "LUẬT BÁO CHÍ", "KẾT LUẬN CỦA BỘ CHÍNH TRỊ" ->
    (type, inline title, issuer named by "CỦA …")."""
    if not is_upper(line) or line.endswith(":"):
        return None
    for t in DOC_TYPES:
        up = t.upper()
        if line == up or line.startswith(up + " "):
            rest = line[len(up):].strip()
            m = re.match(r"^CỦA\s+(.+)$", rest)
            return (t, "", m.group(1)) if m else (t, rest, "")
    return None


def _stops_header(line: str) -> bool:
    return bool(structural_heading(line) or PREAMBLE_RE.match(line) or section_marker(line) or SIGNATURE_RE.match(line))


def draft_mark(line: str, whole_line: bool = False) -> tuple[str, str]:
    """(the draft mark a header line holds, verbatim; the rest of the line). The mark is the line,
    or its end after an upper-case cell ("CHÍNH PHỦ | DỰ THẢO" -> "DỰ THẢO", "CHÍNH PHỦ"), or the words
    before a type heading ("DỰ THẢO NGHỊ ĐỊNH" -> "DỰ THẢO", "NGHỊ ĐỊNH"); a sentence that names a draft
    ("Bộ … lấy ý kiến dự thảo …", a title "Về việc cho ý kiến về dự thảo Luật …") is not one. `whole_line`
    (below the type line, or above the header, where a title or a site's caption may name a draft):
    the mark must open the line."""
    folded = aligned_fold(line)
    m = DRAFT_RE.search(folded)
    if not m:
        return "", line
    before = line[:m.start()].strip(" ,|-–")
    if before and (whole_line or not is_upper(before)):
        return "", line
    after = line[m.end():].strip(" -–:,")
    if type_heading(after):
        return line[m.start():m.end()].strip(), f"{before} {after}".strip()
    if DRAFT_LINE_RE.match(folded[m.start():].strip()):
        return line[m.start():].strip(), before
    return "", line


def _draft_in_name(source_path: str) -> str:
    """The file name when it says the file is a draft ("du_thao_nd_sua_doi.docx", "DuThao-ND.pdf")."""
    name = Path(source_path).name if source_path else ""
    return name if re.search(r"du\s*thao", re.sub(r"[_\-.]+", " ", fold(name))) else ""


def _take_fields(text: str, h: LegalDocument) -> tuple[str, bool]:
    """Remove motto, number and place/date from a header line (a PDF may merge two columns)."""
    found = False
    for rx in MOTTO_RES:
        text, n = rx.subn(" ", text)
        found |= bool(n)
    m = NUMBER_RE.search(text) if not h.number else None
    if m:
        h.number, found = m.group(1).rstrip(".:"), True
        text = text[: m.start()] + " " + text[m.end():]
    d = DATE_RE.search(text) if not h.issued_on else None
    if d:
        h.issued_on, found = iso_date(*d.groups()), True
        before = text[: d.start()].strip(" ,|")
        h.place = before if 0 < len(before) <= 50 else h.place
        text = "" if h.place == before else text[: d.start()] + text[d.end():]
    return text.strip(" ,.-–|"), found  # "|": the cell separator of an HTML header table


def scan_header(lines: list[str]) -> tuple[LegalDocument, int]:
    """Read header fields from the top into a new document; return it and the index of the first
    non-header line."""
    h = LegalDocument(source_kind="original")
    title: list[str] = []
    issuer_lines: list[str] = []
    seen_type = title_closed = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _stops_header(line) or (title and AUTHORITY_RE.match(line)):
            break
        rest = DECORATION_RE.sub(" ", line).strip()
        if not rest:
            title_closed = bool(title)
        elif KINH_GUI_RE.match(rest):  # addressees: "Kính gửi:" and its "- …" lines
            while i + 1 < len(lines) and re.match(r"^[-–•+]\s*", lines[i + 1]):
                i += 1
        elif SUBJECT_RE.match(rest):  # "V/v …": the subject of an official letter is its title
            title = [SUBJECT_RE.match(rest).group(1)]
            while i + 1 < len(lines) and lines[i + 1][:1].islower():
                i += 1
                title.append(lines[i])
            title_closed = True
        else:
            mark, rest = draft_mark(rest, whole_line=seen_type)
            h.draft = h.draft or mark
            rest, found = _take_fields(rest, h) if not seen_type else (rest, False)
            found |= bool(mark)
            t = type_heading(rest) if rest and not seen_type else None
            if not rest:
                pass
            elif t:
                seen_type, h.doc_type = True, t[0]
                title += [t[1]] if t[1] else []
                h.issuer = normalise_issuer(t[2]) if t[2] else h.issuer
            elif seen_type and not title_closed and not is_substantive(rest) and len(rest) <= 250 and len(title) < 4 \
                    and not (title and is_upper(rest) and not is_upper(title[-1])):
                title.append(rest)
            elif not seen_type and is_upper(rest) and len(rest) <= 100 and not re.search(r"\d", rest):
                issuer_lines.append(rest)
            elif not found:
                break
        i += 1
    h.title = sentence_case(" ".join(title)) if title else ""
    if not h.issuer and issuer_lines:
        h.issuer, warning = formal_issuer(issuer_lines)
        h.warnings += [warning] if warning else []
    if not h.doc_type and h.number:
        h.doc_type = next((t for rx, t in NUMBER_TYPES if re.search(rx, h.number)), "")
    return h, i


def _issuer_bodies(lines: list[str]) -> list[str]:
    """The upper-case issuer lines as bodies, top (parent) to bottom (the issuer); a name wrapped
    after "VÀ" or "," is joined back first."""
    bodies: list[str] = []
    for line in lines:
        if bodies and (re.search(r"(?:\bVÀ|,|-)$", bodies[-1]) or line.startswith("VÀ ")):
            bodies[-1] += " " + line
        else:
            bodies.append(line)
    return bodies


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
SECTION_MARKERS = [
    ("roman", re.compile(r"^([IVXLC]{1,6})\.\s+(\S.*)$")),
    ("paren", re.compile(r"^\((\d{1,3})\)\s*(\S.*)$")),
    ("arabic", re.compile(r"^(\d{1,3})[.)]\s+(\S.*)$")),
    ("letter", re.compile(r"^([a-zđ])\)\s*(\S.*)$")),
]


def roman_value(s: str) -> int:
    vals = [_ROMAN[c] for c in s]
    return sum(-v if i + 1 < len(vals) and vals[i + 1] > v else v for i, v in enumerate(vals))


def section_marker(line: str):
    """(marker type, ordinal value, label, text after the marker) or None."""
    for kind, rx in SECTION_MARKERS:
        m = rx.match(line)
        if m:
            raw = m.group(1)
            if kind == "roman":
                return kind, roman_value(raw), raw, m.group(2)
            if kind == "letter":
                return kind, POINT_LETTERS.index(raw) + 1 if raw in POINT_LETTERS else 99, raw, m.group(2)
            return kind, int(raw), f"({raw})" if kind == "paren" else raw, m.group(2)
    return None


def short_title(text: str, limit: int = 160) -> str:
    """The heading of a section whose first line is a whole paragraph: up to its first ":"."""
    head = text.split(":", 1)[0] if ":" in text[:limit] else text
    head = head.rstrip(" .;:")
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + " …"


def parse_sections(lines: list[str], warnings: list[str]) -> list[Article]:
    """Numbered sections -> units; the marker types seen first become units, then clauses, then
    points. A marker out of sequence (a "2." where "1." is expected) is text, not a new item."""
    units: list[Article] = []
    levels: list[str] = []
    counters: list[int] = []
    for line in lines:
        mk = section_marker(line)
        depth = None
        if mk:
            kind, value, label, text = mk
            if kind in levels:
                d = levels.index(kind)
                parent_ok = d == 0 or counters[d - 1] > 0
                if parent_ok and value == counters[d] + 1:
                    depth = d
                elif parent_ok and value > counters[d] + 1:
                    warnings.append(f"Đánh số không liên tục: “{label}” sau mục số {counters[d]} — dòng được giữ "
                                    "làm nội dung của mục trước, cần kiểm tra")
            elif len(levels) < 3 and value == 1 and (not levels or counters[-1] > 0):
                levels.append(kind)
                counters.append(0)
                depth = len(levels) - 1
        if depth is None:
            if units:
                _append_text(units[-1], line)
            continue
        counters[depth] = value
        counters[depth + 1:] = [0] * (len(counters) - depth - 1)
        if depth == 0:
            # "I. TÌNH HÌNH" is a heading; "(1) Triển khai …, với trọng tâm:" is a paragraph, kept as text
            is_heading = is_upper(text) or (len(text) <= 120 and not text.endswith((".", ":", ";", ",")))
            units.append(Article(number=label, kind="section", title=text if is_heading else short_title(text),
                                 intro="" if is_heading else line))
        elif depth == 1:
            units[-1].clauses.append(Clause(number=label, text=line))
        else:
            units[-1].clauses[-1].points.append(Point(label=label, text=line))
    return units


def _append_text(unit: Article, line: str) -> None:
    """A "-" bullet or a plain paragraph continues the innermost open item."""
    if unit.clauses and unit.clauses[-1].points:
        unit.clauses[-1].points[-1].text += "\n" + line
    elif unit.clauses:
        unit.clauses[-1].text += "\n" + line
    else:
        unit.intro = f"{unit.intro}\n{line}" if unit.intro else line


def _heading_label(kind: str, number: str, title: str) -> str:
    word = UNIT_WORDS[{"phan": "part", "chuong": "chapter", "muc": "section"}[kind]]
    number = number.lower() if number.lower().startswith("thứ") else number
    return f"{word} {number}. {title}" if title else f"{word} {number}"


def parse_articles(lines: list[str], warnings: list[str]) -> list[Article]:
    units: list[Article] = []
    ctx = {"phan": "", "chuong": "", "muc": ""}
    body: list[str] = []
    open_unit: list[Article] = []  # the Điều whose body is being collected
    i = 0

    def finish():
        if open_unit:
            unit = open_unit.pop()
            unit.intro, unit.clauses = split_clauses(body)
            warnings.extend(clause_gap_warnings(unit))
        body.clear()

    quoted = quoted_lines(lines)  # "Điều 4a. …" quoted as new text by an amending document is not a heading
    while i < len(lines):
        h = structural_heading(lines[i]) if not quoted[i] else None
        if not h:
            body.append(lines[i])
            i += 1
            continue
        kind, number, title = h
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        # a title on its own line: upper-case for Phần/Chương/Mục, a short non-clause line for Điều
        if not title and nxt and not structural_heading(nxt) and (
            (kind != "dieu" and is_upper(nxt))
            or (kind == "dieu" and len(nxt) <= 200 and not CLAUSE_RE.match(nxt) and not POINT_RE.match(nxt)
                and not is_substantive(nxt))
        ):
            title, i = nxt, i + 1
        i += 1
        if kind != "dieu":
            finish()
            ctx[kind] = _heading_label(kind, number, title)
            # a new Phần restarts its Chương and Mục; a new Chương restarts its Mục
            for lower in {"phan": ("chuong", "muc"), "chuong": ("muc",), "muc": ()}[kind]:
                ctx[lower] = ""
            continue
        finish()
        units.append(Article(number=number, title=title, kind="dieu", part=ctx["phan"],
                             chapter=ctx["chuong"], section=ctx["muc"]))
        open_unit.append(units[-1])
    finish()
    warnings.extend(article_sequence_warnings(units))
    return units


def _article_number(number: str) -> tuple[int, str]:
    return int(re.match(r"\d+", number).group()), number.lstrip("0123456789")  # "13a" -> (13, "a")


def article_sequence_warnings(units: list[Article]) -> list[str]:
    out = []
    num = _article_number
    if units and num(units[0].number)[0] != 1:
        out.append(f"Điều đầu tiên là Điều {units[0].number}, không phải Điều 1 — văn bản có thể thiếu phần đầu")
    for prev, cur in zip(units, units[1:]):
        (pn, ps), (cn, cs) = num(prev.number), num(cur.number)
        if (pn, ps) == (cn, cs):
            out.append(f"Điều {cur.number} xuất hiện hai lần — cần kiểm tra")
        elif not (cn == pn + 1 or (cn == pn and cs > ps)):
            out.append(f"Số điều không liên tục: Điều {cur.number} đứng sau Điều {prev.number}")
    return out


def clause_gap_warnings(unit: Article) -> list[str]:
    """Numbered lines that split_clauses kept as text because their number skips ahead."""
    out = []
    label = f"Điều {unit.number}"
    for line in unit.intro.split("\n"):
        m = CLAUSE_RE.match(line)
        if m and int(m.group(1)) > 1:
            out.append(f"{label}: khoản “{m.group(1)}.” đứng trước khoản 1 — cần kiểm tra")
    for c in unit.clauses:
        if not c.number:
            continue
        lines = c.text.split("\n")[1:] + [l for p in c.points for l in p.text.split("\n")]
        for line in lines:
            m = CLAUSE_RE.match(line)
            if m and int(m.group(1)) > int(c.number) + 1:
                out.append(f"{label}: dòng “{m.group(1)}.” sau khoản {c.number} (thiếu khoản "
                           f"{int(c.number) + 1}?) — được giữ trong khoản {c.number}, cần kiểm tra")
    return out


def split_preamble(lines: list[str], allow_enacting: bool) -> tuple[list[str], list[str]]:
    """(preamble lines, other lines) of the text between header and body."""
    pre, rest = [], []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (PREAMBLE_RE.match(line) or (allow_enacting or pre) and len(line) <= 300 and ENACTING_RE.search(line)
                or (pre and pre[-1] == lines[i - 1] and line[:1].islower())  # a wrapped "Căn cứ" line
                or (is_upper(line) and PREAMBLE_RE.match(nxt))):  # "BỘ TRƯỞNG BỘ …" above "Căn cứ"
            pre.append(line)
        else:
            rest.append(line)
    return pre, rest


def split_signature(lines: list[str], dieu_mode: bool) -> tuple[list[str], list[str]]:
    """(body, signature). A signature starts at "Nơi nhận", "TM.", "KT.", a signer's title in
    capitals, or after a line ending "./."; in Điều documents it ends at the next heading (a
    Quyết định can sign, then attach a Quy chế with its own Chương and Điều)."""
    body, sig = [], []
    in_sig = seen_body = False  # a signer's title above "Căn cứ" ("BỘ TRƯỞNG BỘ …") is preamble
    for i, line in enumerate(lines):
        heading = structural_heading(line)
        if in_sig and dieu_mode and heading and heading[0] in ("dieu", "chuong", "phan"):
            in_sig = False
        elif not in_sig and seen_body and not heading and (
            SIGNATURE_RE.match(line) or (SIGNER_TITLE_RE.match(line) and is_upper(line) and len(line) <= 60)
            or (i > 0 and lines[i - 1].endswith("./."))
        ):
            in_sig = True
        seen_body = seen_body or bool(heading or section_marker(line) or is_substantive(line))
        (sig if in_sig else body).append(line)
    return body, sig


def find_effective_date(units: list[Article], issued_on: str) -> str:
    """The first "có hiệu lực … từ ngày …", preferring one about this document ("… này có hiệu lực")."""
    text = "\n".join(u.full_text for u in units)
    matches = list(EFFECTIVE_RE.finditer(text))
    own = [m for m in matches if "này" in text[max(0, m.start() - 40): m.start()]]
    for m in own or matches:
        if m.group(7):
            return issued_on
        g = m.groups()
        return iso_date(*(g[0:3] if g[0] else g[3:6]))
    return ""


def _lines_before_header(lines: list[str], look_ahead: int = 10) -> int:
    """Stray lines above the real header (a note, a site's caption): the first offset from which a
    header with a number or a type can be read, or 0."""
    for offset in range(1, min(look_ahead, len(lines))):
        head, _ = scan_header(lines[offset:])
        if head.number or head.doc_type:
            return offset
    return 0


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def parse_document_lines(lines: list[str], source_path: str = "") -> LegalDocument:
    lines = clean_lines(lines)
    doc, pos = scan_header(lines)
    skipped = _lines_before_header(lines) if pos == 0 else 0
    if skipped:
        doc, pos = scan_header(lines[skipped:])
        pos += skipped
    doc.source_path = source_path
    # a mark on the lines above the header, or only in the file's name
    doc.draft = doc.draft or next((m for m in (draft_mark(l, whole_line=True)[0] for l in lines[:skipped]) if m), "") \
        or _draft_in_name(source_path)
    if not doc.title and pos == 0 and lines and not _stops_header(lines[0]) and not is_substantive(lines[0]) \
            and len(lines[0]) <= 200:
        doc.title, pos = lines[0], 1  # a web article: its first line is the headline
    title = doc.title
    dieu_mode = any((structural_heading(l) or ("",))[0] == "dieu" for l in lines[pos:])
    body, signature = split_signature(lines[pos:], dieu_mode)
    if dieu_mode:
        start = next(i for i, l in enumerate(body) if structural_heading(l))
    else:
        start = next((i for i, l in enumerate(body) if (section_marker(l) or (0, 0))[1] == 1), len(body))
    preamble, intro = split_preamble(body[:start], allow_enacting=dieu_mode)
    warnings: list[str] = list(doc.warnings)  # the header's (an issuer read as a place only)
    units = parse_articles(body[start:], warnings) if dieu_mode else parse_sections(body[start:], warnings)
    intro = [l for l in intro if fold(l) != fold(title)]
    first = next((i for i, l in enumerate(intro) if is_substantive(l)), None)
    if not units and intro and first is None:
        first = 0  # nothing numbered and nothing sentence-like: keep all the text rather than lose it
    if first is not None:
        units.insert(0, Article(number="", kind="section", title="Mở đầu", intro="\n".join(intro[first:])))
    doc.units, doc.preamble, doc.signature = units, "\n".join(preamble), "\n".join(signature)
    doc.effective_from = find_effective_date(units, doc.issued_on)
    if skipped:
        warnings.insert(0, f"Bỏ qua {skipped} dòng đứng trước phần đầu văn bản (không phải nội dung): "
                           f"“{_shorten(lines[0])}” …")
    if not doc.number:
        warnings.insert(0, "Không tìm thấy số hiệu văn bản (dòng “Số: …”) — cần kiểm tra, nhập tay nếu cần")
    if not any(u.number for u in units):
        warnings.append("Không tìm thấy Điều hay mục đánh số (I., 1., (1) …) — toàn văn được giữ làm phần Mở đầu")
    doc.warnings = warnings
    return doc
