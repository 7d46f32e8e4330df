"""`kb duties` and `kb deadlines`: the official's desk (qa.desk) on the command line, with the
checklist (DOCX, XLSX) and calendar (iCalendar) exports of ui.desk_export."""
from __future__ import annotations

import json
from pathlib import Path

from core.bodies import DESK_CHOICES, KINDS, desk_kind
from core.errors import KbError
from core.vocab import format_iso
from qa.amended import today
from qa.desk.timeparse import Relative

QUOTE_CHARS = 220  # of each quote in the text listing (the JSON and the files carry it whole)


class DeskInputError(KbError):
    exit_code = 2


def choices_text() -> str:
    return "; ".join(f"{k} ({KINDS[k].label})" for k in DESK_CHOICES)


def resolve_body(name: str) -> str:
    kind = desk_kind(name)
    if kind is None:
        raise DeskInputError(f"Không nhận ra cơ quan “{name}”. Ghi tên cơ quan (ví dụ “UBND tỉnh”, “Bộ TTTT”, "
                             f"“cơ quan báo chí”) hoặc một mã: {choices_text()}.")
    return kind


def write_file(path: str, data: bytes, what: str) -> str:
    """Write an export; a path that cannot be written changes nothing and says why."""
    target = Path(path)
    if not target.parent.exists():
        raise DeskInputError(f"{path}: thư mục {target.parent} không tồn tại; hãy tạo thư mục hoặc chọn đường dẫn khác.")
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise DeskInputError(f"{path}: không ghi được tệp {what} ({exc.strerror or exc}); chọn đường dẫn khác.") from None
    return str(target)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


def cmd_duties(args, kb) -> int:
    from ui.desk_export import duties_docx, duties_xlsx

    body = resolve_body(args.body)
    view = kb.desk(args.as_of)
    rows = view.duties_of(body, general=not args.named_only)
    if args.docx:
        print(f"Đã ghi {write_file(args.docx, duties_docx(rows, body, view.as_of), 'Word')}.", flush=True)
    if args.xlsx:
        data = duties_xlsx(rows, body, view.as_of, view.deadlines_of(body, general=not args.named_only))
        print(f"Đã ghi {write_file(args.xlsx, data, 'Excel')}.", flush=True)
    if args.json:
        print(json.dumps({"body": body, "body_label": KINDS[body].label, "as_of": view.as_of,
                          "documents": view.documents, "duties": [d.to_dict() for d in rows]},
                         ensure_ascii=False, indent=2))
        return 0
    if args.docx or args.xlsx:
        return 0
    own = sum(1 for d in rows if not d.via)
    print(f"{KINDS[body].label}: {own} nhiệm vụ, quyền hạn được giao trực tiếp"
          + (f", {len(rows) - own} áp dụng chung" if len(rows) > own else "")
          + f" — {view.documents} văn bản có hiệu lực tại ngày {format_iso(view.as_of)}.")
    for d in rows:
        via = f" (với tư cách {KINDS[d.via].label})" if d.via else ""
        print(f"\n[{d.role}] {d.citation}{via}\n  {_short(d.quote)}")
        if d.counterparts:
            print(f"  Cơ quan liên quan: {'; '.join(d.counterparts)}")
    return 0


def cmd_deadlines(args, kb) -> int:
    from ui.desk_export import calendar_dates, deadlines_ics

    body = resolve_body(args.body) if args.body else None
    as_of = args.as_of or (f"{args.year}-01-01" if args.year and f"{args.year}-01-01" > today() else None)
    view = kb.desk(as_of)
    year = args.year or int(view.as_of[:4])
    rows = view.deadlines_of(body, general=not args.named_only)
    if args.ics:
        data, _ = deadlines_ics(rows, body, year)
        print(f"Đã ghi {write_file(args.ics, data, 'lịch')}.", flush=True)
    dated = {d.citation for d in rows if d.kind == "fixed"}
    if args.json:
        out = []
        for d in rows:
            item = d.to_dict()
            item["dates"] = [day.isoformat() for day, _ in calendar_dates(d, year, dated)]
            out.append(item)
        print(json.dumps({"body": body or "", "body_label": KINDS[body].label if body else "", "as_of": view.as_of,
                          "year": year, "deadlines": out}, ensure_ascii=False, indent=2))
        return 0
    if args.ics:
        return 0
    who = KINDS[body].label if body else "mọi cơ quan"
    print(f"Thời hạn của {who}: {len(rows)} — văn bản có hiệu lực tại ngày {format_iso(view.as_of)}; lịch năm {year}.")
    groups = (("fixed", "Ngày cố định"), ("period", "Định kỳ"), ("relative", "Tính từ một sự kiện"))
    for kind, title in groups:
        group = [d for d in rows if d.kind == kind]
        if not group:
            continue
        print(f"\n== {title} ({len(group)})")
        for d in group:
            dates = ", ".join(x.strftime("%d/%m") for x, _ in calendar_dates(d, year, dated))
            line = f"- {d.limit.describe()}" + (f" [{dates}]" if dates else "") + f" — {d.citation}"
            print(line)
            if d.responsible:
                print(f"  Thực hiện: {d.responsible}" + (f"; gửi/liên quan: {'; '.join(d.recipients)}" if d.recipients else ""))
            if isinstance(d.limit, Relative) and d.trigger:
                print(f"  Tính từ: {d.trigger}")
    return 0


def _year(text: str) -> int:
    import argparse

    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise argparse.ArgumentTypeError(f"năm “{text}” không hợp lệ: ghi bốn chữ số, ví dụ 2027")
    return int(text)


def add_parsers(sub, date_arg, run) -> None:
    """`run(args, settings)` builds the knowledge base and calls `args.desk(args, kb)`."""
    s = sub.add_parser("duties", help="Ai phải làm gì: nhiệm vụ, quyền hạn, điều cấm của một cơ quan trong các văn bản "
                                      "có hiệu lực (xuất Word/Excel)")
    s.add_argument("body", help="cơ quan: “UBND tỉnh”, “Bộ TTTT”, “cơ quan báo chí”… hoặc mã (province, mic, press…)")
    s.add_argument("--as-of", type=date_arg, help="ngày xét hiệu lực (mặc định hôm nay)")
    s.add_argument("--named-only", action="store_true",
                   help="chỉ các điều khoản nêu đích danh cơ quan (bỏ nhiệm vụ chung của các cơ quan cùng loại)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--docx", metavar="TỆP", help="xuất danh mục kiểm tra dạng Word")
    s.add_argument("--xlsx", metavar="TỆP", help="xuất bảng Excel (nhiệm vụ và thời hạn)")
    s.set_defaults(func=run, desk=cmd_duties)

    s = sub.add_parser("deadlines", help="Thời hạn: hạn, kỳ báo cáo, thời hạn tính từ sự kiện trong các văn bản có "
                                         "hiệu lực (xuất lịch .ics)")
    s.add_argument("--body", help="chỉ thời hạn của một cơ quan (như `kb duties`)")
    s.add_argument("--year", type=_year, help="năm của lịch (mặc định năm của ngày xét hiệu lực)")
    s.add_argument("--as-of", type=date_arg, help="ngày xét hiệu lực (mặc định hôm nay, hoặc 01/01 của --year nếu muộn hơn)")
    s.add_argument("--named-only", action="store_true", help="như `kb duties --named-only`")
    s.add_argument("--json", action="store_true")
    s.add_argument("--ics", metavar="TỆP", help="xuất lịch iCalendar các ngày cố định và định kỳ của năm")
    s.set_defaults(func=run, desk=cmd_deadlines)
