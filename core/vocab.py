"""Vietnamese legal vocabulary, in one place: normalisation and folding, document types and their
abbreviations, unit labels, stopwords, dates, and the fixed phrases the product says.

Pure data and pure functions; every other layer takes its words from here.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

# ---------------------------------------------------------------- normalisation


def nfc(text: str) -> str:
    """NFC, so that composed and decomposed Vietnamese compare equal."""
    return unicodedata.normalize("NFC", text)


# C0 control characters other than tab and line feed, and what else XML 1.0 cannot hold (lone
# surrogates, U+FFFE/U+FFFF): no legal text contains them (Word's own marks are mapped by the .doc
# reader first), and one of them makes lxml refuse a whole DOCX export.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_controls(text: str) -> str:
    return _CONTROL_CHARS.sub("", text)


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form for matching ("Nghị định" -> "nghi dinh")."""
    text = nfc(text).lower().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    return (fold(c) or " ")[:1]


def aligned_fold(text: str) -> str:
    """fold() one character at a time, so the result has the same length as `text`."""
    return "".join(map(_fold_char, text))


# ---------------------------------------------------------------- document types

# Type words as they head a document, longest first so "Thông tư liên tịch" wins over "Thông tư".
DOC_TYPES: tuple[str, ...] = tuple(sorted(
    ["Hiến pháp", "Bộ luật", "Luật", "Pháp lệnh", "Lệnh", "Sắc lệnh", "Nghị định", "Thông tư liên tịch",
     "Thông tư", "Quyết định", "Nghị quyết liên tịch", "Nghị quyết", "Kết luận", "Chỉ thị", "Công văn",
     "Công điện", "Thông báo", "Kế hoạch", "Hướng dẫn", "Quy định", "Quy chế", "Chương trình", "Đề án",
     "Báo cáo", "Văn bản hợp nhất"],
    key=len, reverse=True))
# Types cited by name and year rather than by a short number.
NAMED_TYPES = frozenset({"Hiến pháp", "Luật", "Bộ luật", "Pháp lệnh"})
# Folded keyword -> type: full words and the abbreviations people type ("nđ", "tt", "cv").
TYPE_WORDS: dict[str, str] = {
    "thong tu lien tich": "Thông tư liên tịch", "ttlt": "Thông tư liên tịch",
    "bo luat": "Bộ luật", "hien phap": "Hiến pháp", "phap lenh": "Pháp lệnh", "luat": "Luật",
    "nghi dinh": "Nghị định", "nd": "Nghị định", "thong tu": "Thông tư", "tt": "Thông tư",
    "quyet dinh": "Quyết định", "qd": "Quyết định", "nghi quyet": "Nghị quyết", "nq": "Nghị quyết",
    "ket luan": "Kết luận", "kl": "Kết luận", "cong van": "Công văn", "cv": "Công văn",
    "chi thi": "Chỉ thị", "ct": "Chỉ thị", "thong bao": "Thông báo",
    "bai tu van": "Bài tư vấn",  # the secondary source's own type, so its citations resolve
}
# Abbreviations that name one specific code: folded abbreviation -> (type, name).
CODE_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "blds": ("Bộ luật", "dân sự"), "blhs": ("Bộ luật", "hình sự"), "blld": ("Bộ luật", "lao động"),
    "bltths": ("Bộ luật", "tố tụng hình sự"), "blttds": ("Bộ luật", "tố tụng dân sự"),
    "blhh": ("Bộ luật", "hàng hải"),
}
# Folded type code inside a number ("72/2015/NĐ-CP", "57-KL/TW") -> type. "QH" is left out on
# purpose: both Luật and Nghị quyết of the Quốc hội carry it.
NUMBER_TYPE_CODES: dict[str, str] = {
    "nd": "Nghị định", "tt": "Thông tư", "ttlt": "Thông tư liên tịch", "qd": "Quyết định",
    "nq": "Nghị quyết", "kl": "Kết luận", "ct": "Chỉ thị", "tb": "Thông báo",
}
# Common abbreviations of bodies and subjects in questions, folded -> folded expansion.
PHRASE_ABBREVIATIONS: dict[str, str] = {
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "ttdn": "thong tin doi ngoai",
    "tt&tt": "thong tin va truyen thong", "tttt": "thong tin va truyen thong", "btttt": "bo thong tin va truyen thong",
    "pv": "phong vien phong van",  # phóng viên or phỏng vấn: both, BM25 sorts it out
    "vptt": "van phong thuong tru", "nc ngoai": "nuoc ngoai", "nn": "nuoc ngoai",
    "dc": "duoc", "ko": "khong", "k": "khong", "kg": "khong", "ntn": "nhu the nao", "j": "gi",
}


def spell_out(folded: str) -> str:
    """Folded words separated by single spaces (padded with one at each end), abbreviations spelt
    out: " bo tttt " -> " bo thong tin va truyen thong "."""
    for short, long in PHRASE_ABBREVIATIONS.items():
        folded = folded.replace(f" {short} ", f" {long} ")
    return folded

# ---------------------------------------------------------------- units

UNIT_WORDS = {"part": "Phần", "chapter": "Chương", "section": "Mục", "dieu": "Điều", "clause": "Khoản",
              "point": "Điểm"}
# Vietnamese point letters, in order (no f, j, w, z; đ after d).
POINT_LETTERS = tuple("a b c d đ e g h i k l m n o p q r s t u v x y".split())


def unit_label(kind: str, number: str) -> str:
    """"Điều 7" for an article; "Mục 2" for a numbered section of a letter or Party text."""
    if kind == "dieu":
        return f"Điều {number}"
    return f"Mục {number}" if number else ""


# ---------------------------------------------------------------- paraphrases

# Words officials ask with and the words the texts use for the same thing, in segmented form
# (pyvi joins syllables with "_"). Only equivalences that hold in administrative Vietnamese
# whatever the subject: a question word counts as found when a word of its group is.
SYNONYM_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g.split()) for g in (
    "công_khai công_bố",
    "đồng_ý chấp_thuận",
    "xin đề_nghị",
    "nhiệm_vụ trách_nhiệm",
    "hạn thời_hạn",
    "phạt xử_phạt",
))
# What an article titled by a body is about (segmented form).
DUTY_WORDS = ("trách_nhiệm", "nhiệm_vụ")
SYNONYMS: dict[str, frozenset[str]] = {w: g - {w} for g in SYNONYM_GROUPS for w in g if len(g) > 1}
FOLDED_SYNONYMS: dict[str, frozenset[str]] = {fold(w): frozenset(fold(x) for x in g) for w, g in SYNONYMS.items()}


# ---------------------------------------------------------------- stopwords

# Question and function words that carry no topic (pyvi-segmented forms, "_" joins syllables).
STOPWORDS = frozenset(
    """là của và các có được cho trong với về theo những một này đó khi nào gì ai sao thế_nào như_thế_nào
    không phải bao_nhiêu bao_lâu hay hoặc thì mà để do tại từ đến như ra vào lên việc quy_định nêu hỏi
    đúng sai hãy cho_biết trường_hợp nếu thì gồm những_gì bao_giờ ở đâu nào_đó cần phải_không có_phải
    luật điều khoản điểm nghị_định thông_tư văn_bản theo_quy_định hiện_nay nay thế sẽ đã bị
    tôi chúng_tôi chúng_ta em mình anh_chị ơi ạ muốn biết có_thể bên vậy nhé""".split()
)  # the second line: how people talk in a chat ("Sở chúng tôi có thể … được không ạ?")
# The same idea for plain (unsegmented) words.
PLAIN_STOPWORDS = frozenset(
    "là của và các có được cho trong với về theo những một này đó khi nào gì ai sao thế không phải "
    "bao nhiêu hay hoặc thì mà để do tại từ đến như ra vào lên việc quy định nêu hỏi "
    "đúng sai hãy biết trường hợp".split()
)

# ---------------------------------------------------------------- dates

def iso_date(d, m, y) -> str:
    """Day, month, year -> "YYYY-MM-DD"; "" when day or month is out of range."""
    d, m, y = int(d), int(m), int(y)
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= d <= 31 and 1 <= m <= 12 else ""


def format_iso(iso: str) -> str:
    """"2015-10-22" -> "22/10/2015"; anything else unchanged."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", (iso or "").strip())
    return f"{m[3]}/{m[2]}/{m[1]}" if m else (iso or "")


def format_moment(ts: float) -> str:
    """A Unix time -> "22/10/2015 14:05", local time (when a version was stored)."""
    return dt.datetime.fromtimestamp(ts).strftime("%d/%m/%Y %H:%M")


def parse_date(text: str | None) -> str | None:
    """User input ("22/10/2015", "22-10-2015", "2015-10-22") -> ISO date; "" -> None; else ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"Ngày “{text}” không hợp lệ; ghi theo dạng ngày/tháng/năm, ví dụ 22/10/2015.") from None


# ---------------------------------------------------------------- phrases the product says

# Hiệu lực, the one word each status has wherever it is shown (the page, the CLI, the DOCX export,
# a correction's record). VALIDITY_LABELS: the values qa.validity decides; LEGAL_STATUS adds the
# words documents are stored with (readers, catalogue, staff corrections).
VALIDITY_LABELS = {
    "in_force": "Còn hiệu lực",
    "expired": "Hết hiệu lực toàn bộ",
    "partly_expired": "Hết hiệu lực một phần",
    "suspended": "Ngưng hiệu lực",
    "not_yet": "Chưa có hiệu lực",
    "unknown": "Không rõ hiệu lực",
}
LEGAL_STATUS = {
    **{k: v for k, v in VALIDITY_LABELS.items() if k != "unknown"},
    "amended": "Còn hiệu lực, có nội dung được sửa đổi, bổ sung",
    "replaced": "Đã bị thay thế",
    "secondary": "Nguồn thứ cấp — không phải văn bản chính thức",
    "": "Chưa rõ hiệu lực",
}
# What staff may set (ingest.corrections): "secondary" is the catalogue's to give, "" is no setting.
STAFF_STATUSES = ("in_force", "amended", "partly_expired", "suspended", "not_yet", "expired", "replaced")
# Where a hiệu lực came from (qa.validity.Status.source), as the page names it.
VALIDITY_SOURCES = {
    "staff": "cán bộ pháp chế xác định",
    "catalog": "danh mục văn bản đã kiểm tra",
    "phapdien": "Bộ pháp điển",
    "relations": "quan hệ sửa đổi, bãi bỏ",
    "dates": "ngày có hiệu lực",
    "none": "chưa có nguồn",
}

# What an answer without basis says; a model is asked to write the prefix alone.
NO_BASIS_PREFIX = "Không tìm thấy căn cứ"
NO_BASIS = f"{NO_BASIS_PREFIX} trong cơ sở dữ liệu"
# What is said of a catalogued document whose text has not been added.
NOT_IN_BASE = "chưa có văn bản trong cơ sở dữ liệu"
# Said with an answer given while dense search is down (Chroma stopped…): the answer is still cited,
# but it was found by words only, so a question phrased differently from the text may miss.
LEXICAL_ONLY_NOTE = ("Tìm kiếm theo nghĩa tạm thời không dùng được; câu trả lời chỉ dựa trên tìm kiếm theo từ "
                     "ngữ nên có thể bỏ sót điều khoản diễn đạt khác câu hỏi")
SECONDARY_LABEL = "nguồn thứ cấp (bài tư vấn), không phải văn bản chính thức"

# ---------------------------------------------------------------- files

TEXT_EXTENSIONS = (".txt", ".md")
HTML_EXTENSIONS = (".html", ".htm")
# Scanned pages, read by OCR (a TIFF may hold several pages).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
# Original documents (one document per file) and, for ingest only, benchmark article JSON.
DOCUMENT_EXTENSIONS = TEXT_EXTENSIONS + HTML_EXTENSIONS + (".pdf", ".docx", ".doc") + IMAGE_EXTENSIONS
INGEST_EXTENSIONS = HTML_EXTENSIONS + TEXT_EXTENSIONS + (".pdf", ".docx", ".json", ".doc") + IMAGE_EXTENSIONS
UPLOAD_EXTENSIONS = (".pdf", ".docx", ".html", ".htm", ".txt", ".doc") + IMAGE_EXTENSIONS
