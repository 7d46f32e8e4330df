"""Time limits in Vietnamese legal text, parsed to small typed objects (pure; table-tested).

- `FixedDate`: a day of the calendar ("trước ngày 30 tháng 11 hằng năm", "trước ngày 30/11",
  "trong mười lăm (15) ngày đầu tiên của tháng một (1) và tháng bảy (7) hàng năm"); month 0 = every month.
- `Period`: how often ("định kỳ 6 tháng", "hằng năm", "ít nhất 3 tháng một lần").
- `Relative`: an amount of time before or after a trigger ("trong thời hạn 07 ngày làm việc kể từ ngày
  nhận đủ hồ sơ hợp lệ", "chậm nhất 15 ngày sau khi kết thúc sự kiện", "ngay sau khi sự cố xảy ra",
  "chậm nhất là 08 giờ sáng của ngày phát hành"), `at_least` for a minimum ("ít nhất 02 ngày làm việc
  trước khi …", "lưu giữ tối thiểu 06 tháng").

Left out on purpose: dates with a year (a document's date, an effective date), the term of a licence
or card ("có hiệu lực trong thời gian 01 năm", "kỳ hạn … là 05 năm"), a licence that lapses ("Sau 03
tháng …, nếu … thì giấy phép hết hiệu lực"), conditions ("… liên tục từ 02 năm trở lên", "chưa hết thời
hạn 12 tháng"), a bare "định kỳ" or "ngay" without a length or a trigger, and "hằng năm" that
qualifies a thing ("dự toán ngân sách hằng năm", "báo in ra hằng ngày").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocab import nfc

UNITS = {"giờ": "hour", "ngày làm việc": "working_day", "ngày": "day", "tuần": "week", "tháng": "month",
         "quý": "quarter", "năm": "year"}
UNIT_WORDS = {"hour": "giờ", "working_day": "ngày làm việc", "day": "ngày", "week": "tuần", "month": "tháng",
              "quarter": "quý", "year": "năm", "o_clock": "giờ"}
_DIGITS = {"một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6, "bảy": 7,
           "bẩy": 7, "tám": 8, "chín": 9}
_NUM_WORD = r"(?:một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|bẩy|tám|chín|mười|mươi|trăm|lẻ|linh)"
# A number as written: "07", "bảy (07)", "mười lăm", "hai mươi bốn (24)".
NUM = rf"(?:\d{{1,3}}(?!\d)|{_NUM_WORD}(?:\s+{_NUM_WORD})*)(?:\s*\(\s*(?:\d{{1,3}}|{_NUM_WORD}(?:\s+{_NUM_WORD})*)\s*\))?"
_UNIT = r"(?:ngày làm việc|ngày|giờ|tuần|tháng|quý|năm)"


def number(text: str) -> int | None:
    """"07" -> 7, "bảy (07)" -> 7 (the digits win), "hai mươi bốn" -> 24, "mười lăm" -> 15."""
    text = text.strip().lower()
    m = re.search(r"\(\s*(\d+)\s*\)", text) or re.match(r"(\d+)", text)
    if m:
        return int(m.group(1))
    text = re.sub(r"\s*\(.*", "", text)
    total, current = 0, 0
    for w in text.split():
        if w == "trăm":
            total += max(current, 1) * 100
            current = 0
        elif w == "mười":
            current += 10
        elif w == "mươi":
            current = max(current, 1) * 10
        elif w in ("lẻ", "linh"):
            continue
        elif w in _DIGITS:
            current += _DIGITS[w]
        else:
            return None
    return (total + current) or None


@dataclass(frozen=True)
class FixedDate:
    day: int
    month: int  # 1–12; 0 = every month ("mười (10) ngày đầu tiên hàng tháng")
    yearly: bool = True
    text: str = ""
    start: int = 0
    end: int = 0
    kind: str = "fixed"

    def describe(self) -> str:
        if not self.month:
            return f"trước ngày {self.day} hằng tháng"
        return f"trước ngày {self.day:02d}/{self.month:02d}" + (" hằng năm" if self.yearly else "")


@dataclass(frozen=True)
class Period:
    every: int
    unit: str  # "day" | "week" | "month" | "quarter" | "year"
    text: str = ""
    start: int = 0
    end: int = 0
    kind: str = "period"

    def describe(self) -> str:
        if self.every == 1:
            return {"day": "hằng ngày", "week": "hằng tuần", "month": "hằng tháng", "quarter": "hằng quý",
                    "year": "hằng năm"}[self.unit]
        return f"định kỳ {self.every} {UNIT_WORDS[self.unit]}"


@dataclass(frozen=True)
class Relative:
    amount: int  # 0 = immediately ("ngay sau khi")
    unit: str  # "hour" | "working_day" | "day" | "week" | "month" | "year" | "o_clock" (a time of day)
    direction: str  # "after" | "before" the trigger; "on" its day ("08 giờ sáng của ngày phát hành")
    trigger: str = ""  # verbatim: "ngày nhận đủ hồ sơ hợp lệ"; "" when the text does not say
    at_least: bool = False  # a minimum: notice at least this far ahead, keep at least this long
    text: str = ""
    start: int = 0
    end: int = 0
    kind: str = "relative"

    def describe(self) -> str:
        if self.unit == "o_clock":
            return f"chậm nhất {self.amount} giờ " + (f"của {self.trigger}" if self.trigger else "")
        if self.amount == 0:
            return "ngay " + ("sau khi " if self.direction == "after" else "khi ") + self.trigger
        size = f"{self.amount} {UNIT_WORDS[self.unit]}"
        side = "trước" if self.direction == "before" else "sau"
        head = f"ít nhất {size}" if self.at_least else f"trong {size}" if self.direction == "after" else f"chậm nhất {size}"
        return f"{head} {side} {self.trigger}".strip() if self.trigger else head


TimeLimit = FixedDate | Period | Relative


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern.replace(" ", r"\s+"), re.I)


# ---- fixed dates
_DAY_MONTH = rf"ngày (?P<d>{NUM})(?: (?:của )?tháng (?P<m>{NUM})|\s*/\s*(?P<m2>\d{{1,2}}(?!\d)))(?!\s*(?:/\s*\d|năm \d))"
_FIXED = _re(rf"(?:(?P<bound>trước|vào|đến|từ|trong) )?{_DAY_MONTH}")
_COORD_DATE = _re(rf"^(?: và| hoặc|,)(?: trước)? {_DAY_MONTH}")
_YEARLY = _re(r"^,? (?:hằng|hàng) năm")
# "trong mười lăm (15) ngày đầu tiên của tháng một (1) và tháng bảy (7) hàng năm", "… ngày đầu tiên hàng tháng"
_WINDOW = _re(rf"trong (?P<d>{NUM}) ngày đầu(?: tiên)? (?:(?:của )?tháng (?P<m>{NUM})(?P<more>(?: và tháng {NUM})*)"
              rf" (?:hằng|hàng) năm|(?P<monthly>(?:hằng|hàng) tháng))")
# ---- periods
_PERIOD_EVERY = _re(r"(?:định kỳ )?(?:hằng|hàng|mỗi) (?P<u>năm|quý|tháng|tuần|ngày)(?: một lần)?")
_PERIOD_N = _re(rf"định kỳ (?P<n>{NUM}) (?P<u>năm|quý|tháng|tuần|ngày)(?: một lần)?"
                rf"|(?P<n2>{NUM}) (?P<u2>năm|quý|tháng|tuần|ngày) một lần")
# "hằng năm" that names a kind of thing, not how often someone acts
_PERIOD_NOUN = _re(r"(?:kế hoạch|dự toán|ngân sách|trung hạn,|giao ban báo chí|\bra|xuất bản|tài chính|báo in)(?: \S+){0,2} $"
                   r"|(?:hội nghị|giao ban|cuộc họp)[^,;.:]{0,80}$")
# "… trong thời hạn 06 tháng kể từ … nếu được … thì được xét …": a window of eligibility, not a limit to keep
_ELIGIBLE = _re(r"\bnếu\b[^.;]*\bthì (?:được|có quyền)\b")
# ---- relative limits
_BOUND = (r"trong (?:thời hạn|vòng|thời gian)(?: tối đa| chậm nhất là| chậm nhất| không quá)?|chậm nhất(?: là)?(?: trong)?"
          r"|tối đa(?: không quá)?|không quá|ít nhất(?: là)?|tối thiểu(?: là)?|sau(?: thời hạn)?|trước"
          # a bare "trong" only before its trigger ("trong bảy (07) ngày kể từ ngày …"): else a span of
          # time ("trong 02 năm đầu") rather than a limit
          rf"|trong(?= {NUM} {_UNIT},? (?:kể từ|tính từ|sau khi) )"
          # a processing time stated as such ("thời hạn xét cấp … là 15 (mười lăm) ngày")
          r"|thời hạn (?:xét|xử lý|giải quyết|thẩm định|trả lời|cấp)[^.;:]{0,100}? là")
_AMOUNT = rf"(?P<n>{NUM}) (?P<u>{_UNIT})"
_RELATIVE = _re(rf"(?P<bound>{_BOUND}) {_AMOUNT}")
# "10 ngày đối với báo in …, 15 ngày đối với báo tuần, … kể từ khi …": amounts for kinds of a thing
_QUALIFIED = _re(r"^ đối với ")
_NEXT = _re(rf"[,;] (?:và )?(?P<n>{NUM}) (?P<u>{_UNIT}) đối với |(?=,? (?:kể từ|tính từ|tính đến|sau khi|trước khi|trước ngày) )|[.:]|$")
_LINK = _re(r"^,? (?P<link>kể từ|tính từ|tính đến|sau khi|sau|trước khi|trước ngày|trước|từ)(?= )")
_TRAILING = _re(rf"{_AMOUNT} (?P<link>trước|sau) (?=(?:khi|ngày) )")
_AHEAD = _re(rf"(?P<bound>trước) (?P<trig>(?:khi|ngày) [^,;.()]{{3,120}}?) (?:(?P<least>ít nhất(?: là)?) )?{_AMOUNT}\b")
_IMMEDIATE = _re(r"ngay (?P<link>sau khi|khi)(?= )")
_CLOCK = _re(rf"(?:chậm nhất(?: là)?|trước|vào(?: lúc)?) (?P<n>{NUM}) giờ(?: \d+)?(?: (?:sáng|chiều|trưa|tối))?"
             r" (?:của )?(?P<trig>ngày [^,;.()]{3,80})")
_TRIGGER_END = re.compile(r"[,;.:()]|\s(?:thì|nếu|để|đồng thời|phải|có trách nhiệm)\s")
# What makes a relative limit a term, a lapse or a condition rather than a deadline.
_TERM_BEFORE = _re(r"(?:hiệu lực|có giá trị|kỳ hạn|thời hạn sử dụng|thời gian sử dụng|còn thời gian|chưa hết thời hạn"
                   r"|chưa quá|tạm ngừng quá)[^.;]{0,80}$")
_TERM_AFTER = _re(r"^\S*\s*(?:trở lên|liên tục)")
_COUNTED_TO = _re(r"^\S*\s*tính đến (?:thời điểm|khi)")  # "trong thời hạn 01 năm tính đến thời điểm …": a window
_LAPSE = _re(r"(?:hết hiệu lực|không còn giá trị|mất hiệu lực)")


def _trigger(text: str, start: int) -> str:
    rest = text[start:].lstrip()
    m = _TRIGGER_END.search(rest)
    words = (rest[: m.start()] if m else rest).split()
    return " ".join(words[:20]).strip()


def _overlaps(spans, a: int, b: int) -> bool:
    return any(a < y and x < b for x, y in spans)


def parse_time_limits(text: str) -> list[TimeLimit]:
    """Every time limit in `text`, in order of position (offsets into nfc(text))."""
    text = nfc(text)
    low = text.lower()
    out: list[TimeLimit] = []
    taken: list[tuple[int, int]] = []

    def keep(item) -> None:
        out.append(item)
        taken.append((item.start, item.end))

    for m in _WINDOW.finditer(low):  # first days of given months
        day = number(m.group("d"))
        if not day:
            continue
        if m.group("monthly"):
            keep(FixedDate(day, 0, True, text[m.start():m.end()], m.start(), m.end()))
            continue
        months = [m.group("m")] + re.findall(rf"tháng\s+({NUM})", m.group("more") or "")
        for mm in months:
            month = number(mm)
            if month and 1 <= month <= 12:
                keep(FixedDate(day, month, True, text[m.start():m.end()], m.start(), m.end()))
    for m in _FIXED.finditer(low):
        if _overlaps(taken, m.start(), m.end()):
            continue
        group = [m]
        end = m.end()
        while True:
            more = _COORD_DATE.match(low[end:])
            if not more:
                break
            group.append(more)
            end += more.end()
        yearly = _YEARLY.match(low[end:])
        if yearly:
            end += yearly.end()
        for g in group:
            day, month = number(g.group("d")), number(g.group("m") or g.group("m2") or "")
            if day and month and 1 <= day <= 31 and 1 <= month <= 12:
                keep(FixedDate(day, month, bool(yearly), text[m.start():end], m.start(), end))
        taken.append((m.start(), end))
    for m in _CLOCK.finditer(low):
        if not _overlaps(taken, m.start(), m.end()):
            keep(Relative(number(m.group("n")) or 0, "o_clock", "on", _trigger(text, m.start("trig")), False,
                          text[m.start():m.end()], m.start(), m.end()))
    for m in _AHEAD.finditer(low):  # "Trước khi bắt đầu hoạt động 15 ngày", "trước ngày … ít nhất là bảy (07) ngày"
        if _overlaps(taken, m.start(), m.end()) or _TERM_BEFORE.search(low[:m.start()]):
            continue
        n = number(m.group("n"))
        if n is not None:
            keep(Relative(n, UNITS[re.sub(r"\s+", " ", m.group("u"))], "before", m.group("trig").strip(), True,
                          text[m.start():m.end()], m.start(), m.end()))
    for m in _PERIOD_N.finditer(low):
        if _overlaps(taken, m.start(), m.end()):
            continue
        n = number(m.group("n") or m.group("n2"))
        if n:
            keep(Period(n, UNITS[m.group("u") or m.group("u2")], text[m.start():m.end()], m.start(), m.end()))
    for m in _RELATIVE.finditer(low):
        if _overlaps(taken, m.start(), m.end()):
            continue
        bound = re.sub(r"\s+", " ", m.group("bound"))
        sentence_rest = low[m.end():]
        sentence_rest = sentence_rest[: (re.search(r"[.;]", sentence_rest) or re.search(r"$", sentence_rest)).start()]
        if (_TERM_BEFORE.search(low[max(0, m.start() - 120):m.start()]) or _TERM_AFTER.match(low[m.end():])
                or _ELIGIBLE.search(sentence_rest)
                or (bound != "trước" and _COUNTED_TO.match(low[m.end():]))
                or (bound.startswith("sau") and _LAPSE.search(sentence_rest) and "nếu" in sentence_rest)):
            continue
        amounts = [(m.group("n"), m.group("u"), m.start(), m.end())]
        end = m.end()
        if _QUALIFIED.match(low[end:]):
            while True:
                nxt = _NEXT.search(low, end + 1)
                if not nxt or not nxt.group("n"):
                    end = nxt.start() if nxt else len(low)
                    break
                amounts.append((nxt.group("n"), nxt.group("u"), nxt.start("n"), nxt.end("u")))
                end = nxt.end("u")
        link = _LINK.match(low[end:])
        trigger, direction = "", "after"
        if link:
            word = link.group("link")
            direction = "before" if word.startswith("trước") or word == "tính đến" else "after"
            trigger = _trigger(text, end + link.end())
            if word in ("trước ngày", "trước khi"):
                trigger = word.split()[1] + " " + trigger if not trigger.startswith(("ngày", "khi")) else trigger
            end += link.end() + len(trigger) + 1
        elif bound == "trước":
            direction = "before"
        elif bound.startswith(("ít nhất", "tối thiểu")) and re.search(r"\btrước\b[^,;.]{0,60}$", low[:m.start()]):
            direction = "before"  # "thông báo trước cho Bộ … ít nhất 30 ngày làm việc"
        least = bound.startswith(("ít nhất", "tối thiểu")) or (bound == "trước")
        for n, u, a, b in amounts:
            value = number(n)
            if value is None:
                continue
            keep(Relative(value, UNITS[re.sub(r"\s+", " ", u)], direction, trigger, least, text[a:b], a, b))
        taken.append((m.start(), min(end, len(text))))
    for m in _TRAILING.finditer(low):  # "30 ngày trước khi chính thức hoạt động"
        if _overlaps(taken, m.start(), m.end()):
            continue
        n = number(m.group("n"))
        if n is not None:
            keep(Relative(n, UNITS[re.sub(r"\s+", " ", m.group("u"))], "before" if m.group("link") == "trước" else "after",
                          _trigger(text, m.end()), False, text[m.start():m.end()], m.start(), m.end()))
    for m in _IMMEDIATE.finditer(low):
        if not _overlaps(taken, m.start(), m.end()):
            keep(Relative(0, "day", "after", _trigger(text, m.end()), False,
                          text[m.start():m.end()], m.start(), m.end()))
    for m in _PERIOD_EVERY.finditer(low):
        if _overlaps(taken, m.start(), m.end()) or _PERIOD_NOUN.search(low[max(0, m.start() - 80):m.start()]):
            continue
        keep(Period(1, UNITS[m.group("u")], text[m.start():m.end()], m.start(), m.end()))
    return sorted(out, key=lambda x: (x.start, x.end))
