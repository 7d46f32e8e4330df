"""`kb`: ingest, list, remove, ask, look up, evaluate, serve, benchmark. Errors say what to do."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from core.errors import KbError, SettingsError
from core.settings import Settings, configure_offline_environment, load_settings, settings_table

configure_offline_environment()  # before llama-index, chromadb or gradio are imported

from core.backends import make_backends  # noqa: E402
from ingest.store import KnowledgeStore  # noqa: E402
from qa.evaluate import (answer_report_text, eval_file_format, evaluate, evaluate_answers,  # noqa: E402
                         load_answer_questions, load_questions)
from qa.service import KnowledgeBase  # noqa: E402
from core.vocab import STAFF_STATUSES, format_iso  # noqa: E402


def _kb(settings: Settings) -> KnowledgeBase:
    """The knowledge base, refused (RegistryUnusable) when its registry is gone beside full indexes:
    every command that reads or serves it would answer from an empty base."""
    kb = KnowledgeBase(settings, make_backends(settings))
    kb.store.check_servable()
    return kb


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr)


def _esc(value) -> str:
    """Data (file names, numbers, titles, reasons) shown through Rich: never read as markup, so a
    "[/dim]" in a document number prints as is instead of breaking the table."""
    from rich.markup import escape

    return escape(str(value))


def _progress_bar():
    """On stderr: stdout carries only the result (`--json` output stays parseable)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), transient=False, console=_console(stderr=True))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else ""


def _audit(settings: Settings):
    from ui.audit import AuditLog  # the UI's journal: one audit log whichever way a change is made

    return AuditLog(settings.audit_path)


def _audit_ingest(settings: Settings, report, existing: set[str], intent: str) -> None:
    """The records the UI writes for an upload, one per file read or refused, each naming the
    command's intent. Files unchanged since the last ingest and non-documents skipped in a folder
    change nothing and are not recorded (one "unchanged" record answers the intent when nothing did)."""
    log, user = _audit(settings), _os_user()
    written = 0
    for o in report.outcomes:
        if o.status not in ("ingested", "refused"):
            continue
        replaced = [k for k in o.documents if k in existing]
        log.record("replace" if replaced else "upload", user=user, outcome="ok" if o.status == "ingested" else "refused",
                   target=", ".join(o.documents), file=o.path, sha256=o.sha256, client="cli", intent=intent,
                   detail={"reason": o.reason, "replaced": ", ".join(replaced), "versions": o.versions})
        written += 1
    if not written:
        log.record("upload", user=user, outcome="unchanged", client="cli", intent=intent,
                   file=", ".join(o.path for o in report.outcomes)[:2000])


def cmd_ingest(args, settings) -> int:
    from rich.table import Table

    paths = list(args.paths)
    if args.default_corpus:
        absent = [p for p in settings.corpus_paths if not Path(p).exists()]
        if absent:  # e.g. a deployment without ../shared/corpus: start with what corpus/ holds
            print(f"Không thấy {', '.join(absent)}: chỉ nạp những gì còn lại trong danh sách corpus. "
                  "Thêm văn bản: đặt tệp PDF/DOCX/HTML/TXT vào corpus/ rồi chạy lại `make run`, "
                  "hoặc `kb ingest TỆP`.", file=sys.stderr)
        paths += [p for p in settings.corpus_paths if p not in absent]
    if not paths:
        print("Cần ít nhất một đường dẫn: kb ingest TỆP_HOẶC_THƯ_MỤC … (hoặc --default-corpus)", file=sys.stderr)
        return 2
    if args.force and not settings.registry_url:  # the documented rebuild of a damaged registry file: set it aside
        from ingest.registry import damage, set_aside

        reason = damage(settings.registry_path)
        if reason:
            aside = set_aside(settings.registry_path)
            print(f"{settings.registry_path.name} bị hỏng ({reason}): đã đổi tên thành {aside.name} và dựng lại "
                  "từ các tệp được nạp.", file=sys.stderr)
    store = KnowledgeStore(settings, make_backends(settings))
    if args.default_corpus and not args.force:
        # start-up (`make run`): refilling an emptied registry from the default corpus alone would
        # silently drop every document staff uploaded since; the operator restores or rebuilds
        store.check_servable()
    existing = store.registry.keys()
    # Recorded before anything is stored, or nothing is stored: AuditUnavailable is a KbError
    # ("Ổ đĩa đầy: …" when the disk is full), printed by main() without a traceback.
    intent = _audit(settings).intent("upload", user=_os_user(), file=", ".join(map(str, paths)), client="cli",
                                     detail={"replace": bool(args.replace), "force": bool(args.force)})
    from qa.desk.index import following, refresh_index

    try:
        with _progress_bar() as bar:
            task = bar.add_task("Nạp văn bản", total=1.0)
            # a long ingest: the desk's index read as the files are stored (qa.desk.index.following)
            with following(store.registry, settings.desk_index_path):
                report = store.ingest(paths, embed=not args.no_embed, restore=not args.default_corpus,
                                      force=args.force, replace=args.replace, user=_os_user(),
                                      progress=lambda f, m: bar.update(task, completed=f, description=_esc(m[:60])))
            bar.update(task, completed=1.0, description="Xong")
            # the desk's duties and time limits read now, once per stored document (qa.desk.index), so
            # `kb duties` / `kb deadlines` and the Bàn làm việc tab look them up

            desk = bar.add_task("Đọc nhiệm vụ, thời hạn", total=1.0)
            refresh_index(store.registry, progress=lambda done, total: bar.update(desk, completed=done / max(total, 1)),
                          path=settings.desk_index_path)
            bar.update(desk, completed=1.0)
    except KbError as exc:
        _audit(settings).record("upload", user=_os_user(), outcome="error", file=", ".join(map(str, paths)),
                                client="cli", intent=intent, detail=f"{type(exc).__name__}: {exc}")
        raise
    _audit_ingest(settings, report, existing, intent)
    if args.json:
        _print_json(report.to_dict())
    else:
        t = Table(title="Kết quả nạp")
        for col in ("Tệp", "Trạng thái", "Văn bản", "Điều", "Nút", "Ghi chú"):
            t.add_column(col)
        labels = {"ingested": "đã nạp", "unchanged": "bỏ qua", "skipped": "bỏ qua", "refused": "TỪ CHỐI"}
        for o in report.outcomes:
            t.add_row(_esc(Path(o.path).name), labels[o.status], str(len(o.documents)), str(o.articles), str(o.nodes),
                      _esc(o.reason))
        t.add_row("Tổng", "", str(report.documents), str(report.articles), str(report.nodes),
                  f"{len(report.skipped)} bỏ qua, {len(report.refused)} từ chối")
        _console().print(t)
        c = store.registry.counts()
        print(f"Chỉ mục: {c['documents']} văn bản, {c['articles']} điều, {c['nodes']} nút; "
              f"vectơ: {c['dense']}/{c['nodes']}" + (" — chạy `kb embed` để tính nốt vectơ." if report.dense_pending else ""))
        if report.index_note:
            print(f"Lưu ý: {report.index_note}")
        for o in report.outcomes:  # OCR confidence, encoding converted, structure: what staff should check
            for w in o.warnings:
                print(f"Cảnh báo {Path(o.path).name}: {w}")
    for o in report.refused:
        print(f"Từ chối {o.path}: {o.reason}", file=sys.stderr)
    return 1 if report.refused else 0


def cmd_embed(args, settings) -> int:
    from ingest.locks import ProcessLock

    store = KnowledgeStore(settings, make_backends(settings))
    # the same lock as `kb serve`'s background embedder: it pauses while this runs (no work done twice)
    with ProcessLock(settings.home / "locks" / "embed.lock", "tính vectơ").hold(timeout=300), _progress_bar() as bar:
        task = bar.add_task("Tính vectơ", total=1.0)
        lost = store.reconcile_dense()  # a Chroma that came back empty or behind the registry
        if lost:
            print(f"Chroma thiếu {lost} vectơ so với cơ sở dữ liệu: bổ sung lại.")
        # catalogue first, then by use; the progress is published for `kb docs` and the app
        left = store.sync_dense(compute=True, limit=args.limit, priority=True, record=True,
                                progress=lambda f, m: bar.update(task, completed=f, description=m[:60]))
    c = store.registry.counts()
    print(f"Vectơ: {c['dense']}/{c['nodes']} nút; còn {left}.")
    return 0


def cmd_docs(args, settings) -> int:
    kb = _kb(settings)
    docs = kb.documents()
    if args.json:
        _print_json([d.to_dict() for d in docs])
        return 0
    from rich.table import Table

    t = Table(title="Văn bản")
    for col in ("Số hiệu / tên", "Loại", "Trạng thái", "Hiệu lực", "Điều", "Nút", "Vectơ", "Hiệu lực từ", "Ghi chú"):
        t.add_column(col)
    for d in docs:
        state = "sẵn sàng" if d.ready else "[dim]THIẾU[/dim]"
        t.add_row(_esc(d.number or d.title[:50] or d.key), _esc(d.type), state, _esc(d.validity.get("label", "")),
                  str(d.articles), str(d.nodes), str(d.dense_nodes), _esc(d.effective_from), _esc(d.note[:48]))
    _console().print(t)
    line = kb.embedding_progress().describe()
    if line:
        print(line)
    return 0


def cmd_copy_registry(args, settings) -> int:
    """The home's SQLite registry copied whole into an empty PostgreSQL one (the move to several hosts)."""
    from ingest.registry import Registry
    from ingest.registry_copy import copy_registry
    from ingest.registry_db import shown_url

    if not args.to.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        print(f"Đích phải là postgresql://… (nhận được {shown_url(args.to) if '://' in args.to else args.to!r}).",
              file=sys.stderr)
        return 2
    path = settings.registry_path
    if not path.is_file():
        print(f"Không có {path} để sao chép: chọn đúng thư mục dữ liệu bằng --home.", file=sys.stderr)
        return 1
    src, dst = Registry(path), Registry(args.to)
    try:
        copied = copy_registry(src, dst)
    finally:
        src.close()
        dst.close()
    print(f"Đã sao chép {path} sang {shown_url(args.to)}: {copied['documents']} văn bản, {copied['nodes']} đoạn, "
          f"{copied['versions']} phiên bản, {copied['embed_cache']} vectơ trong bộ đệm. Từ nay đặt "
          f"KB_REGISTRY_URL={shown_url(args.to)} (kèm mật khẩu) cho mọi tiến trình `kb`; tệp {path.name} được giữ "
          "nguyên làm bản sao lưu.")
    return 0


def cmd_remove(args, settings) -> int:
    kb = _kb(settings)
    key = args.number.strip()
    keys = kb.store.registry.keys()  # the stored documents (not their validity: seconds on a large base)
    match = next((k for k in (key, key.upper(), key.lower()) if k in keys), None)
    if match is None:
        _audit(settings).record("remove", user=_os_user(), outcome="not_found", target=key, client="cli")
        print(f"Không có văn bản {key!r}. Xem danh sách bằng `kb docs`.", file=sys.stderr)
        return 1
    log = _audit(settings)
    intent = log.intent("remove", user=_os_user(), target=match, client="cli")  # or nothing is removed
    try:
        found = kb.remove_document(match)
    except KbError as exc:
        log.record("remove", user=_os_user(), outcome="error", target=match, client="cli", intent=intent,
                   detail=f"{type(exc).__name__}: {exc}")
        raise
    log.record("remove", user=_os_user(), outcome="ok" if found else "not_found", target=match, client="cli",
               intent=intent)
    print(f"Đã gỡ {match} khỏi mọi chỉ mục.")
    return 0


def cmd_correct(args, settings) -> int:
    """A stored document's header facts corrected (its file read again with them), audited like the page's."""
    from ingest.corrections import CorrectionError, describe

    kb = _kb(settings)
    key = args.key.strip()
    stored = kb.store.registry.keys()
    match = next((k for k in (key, key.upper(), key.lower()) if k in stored), key)
    fix = {k: v for k, v in (("number", args.number), ("type", args.type), ("title", args.title),
                             ("issuer", args.issuer), ("issued_on", args.issued_on),
                             ("effective_from", args.effective_from), ("status", args.status),
                             ("status_since", args.status_since), ("status_note", args.status_note)) if v is not None}
    log, user = _audit(settings), _os_user()
    intent = log.intent("correct", user=user, target=match, client="cli", detail={"values": fix})  # or nothing changes
    try:
        report = kb.correct_document(match, fix, by=user)
    except KbError as exc:
        log.record("correct", user=user, outcome="refused" if isinstance(exc, CorrectionError) else "error",
                   target=match, client="cli", intent=intent, detail=f"{type(exc).__name__}: {exc}")
        raise
    reasons = "; ".join(r["reason"] for r in report["refused"])
    failed = bool(reasons) and not report["documents"]
    log.record("correct", user=user, outcome="refused" if failed else "ok", target=match, client="cli", intent=intent,
               detail={"corrected": report["corrected"], "reason": reasons, "versions": report.get("versions") or {}})
    if args.json:
        _print_json(report)
    elif failed:
        print(f"Không sửa được {match}: {reasons}", file=sys.stderr)
    else:
        print(f"Đã sửa {match}: " + describe(report["corrected"])
              + "".join(f" (phiên bản {v} của {k})" for k, v in (report.get("versions") or {}).items()))
        if "status" in report["corrected"]:  # the hiệu lực it has now, and from which source
            v = kb.document_status(next(iter(report.get("versions") or {}), match))
            print(f"Hiệu lực hiện nay: {v.get('label', '')} — {v.get('reason', '')}")
    return 1 if failed else 0


def _versioned_key(kb: KnowledgeBase, key: str) -> str | None:
    """The document key as typed, in any case, that has versions (also once removed)."""
    key = key.strip()
    return next((k for k in dict.fromkeys((key, key.upper(), key.lower())) if kb.versions(k)), None)


def _no_versions(key: str) -> str:
    return (f"Không có phiên bản nào của văn bản {key!r}: chỉ văn bản nạp nguyên từ một tệp (PDF, DOCX, TXT…) "
            "mới có lịch sử phiên bản. Xem số hiệu đúng bằng `kb docs`.")


def cmd_versions(args, settings) -> int:
    kb = _kb(settings)
    key = _versioned_key(kb, args.key)
    if key is None:
        print(_no_versions(args.key), file=sys.stderr)
        return 1
    if args.show is not None:
        doc = kb.version_document(key, args.show)
        if doc is None:
            print(f"Văn bản {key} không có phiên bản {args.show}. Xem danh sách bằng `kb versions {key}`.",
                  file=sys.stderr)
            return 1
        from ingest.identity import document_name, unit_label

        print(f"{document_name(doc.number, doc.doc_type, doc.title)} — phiên bản {args.show}\n")
        for u in doc.units:
            print(f"{unit_label(u.kind, u.number)}. {u.title}".rstrip(". ") + "\n" + u.full_text + "\n")
        return 0
    versions = kb.versions(key)
    if args.json:
        _print_json([v.to_dict() for v in versions])
        return 0
    from rich.table import Table

    from core.vocab import format_moment

    t = Table(title=f"Phiên bản của {_esc(key)}")
    for col in ("Phiên bản", "Ngày nạp", "Người nạp", "SHA-256", "Tệp", "Hiện hành"):
        t.add_column(col)
    for v in versions:
        t.add_row(str(v.version), format_moment(v.ingested_at), _esc(v.user or "(không rõ)"), v.sha256[:12],
                  _esc(v.source_name), "đang dùng" if v.current else "")
    _console().print(t)
    if not any(v.current for v in versions):
        print("Văn bản này đã bị gỡ: không phiên bản nào đang dùng (khôi phục bằng `kb restore`).")
    return 0


def cmd_restore(args, settings) -> int:
    kb = _kb(settings)
    key = _versioned_key(kb, args.key) or args.key.strip()
    log = _audit(settings)
    record = dict(user=_os_user(), target=key, client="cli")
    # A restore is a change: its intent is on disk before it, or nothing is restored (AuditUnavailable,
    # "Ổ đĩa đầy: …" when the disk is full); the outcome names the intent.
    intent = log.intent("restore", detail={"version": args.version}, **record)
    try:
        out = kb.restore_version(key, args.version, user=_os_user())
    except KbError as exc:
        missing = kb.version_document(key, args.version) is None
        log.record("restore", outcome="not_found" if missing else "error", intent=intent,
                   detail={"version": args.version, "reason": str(exc)}, **record)
        raise
    log.record("restore", outcome="ok" if out.status == "ingested" else out.status, file=out.path,
               sha256=out.sha256, intent=intent, detail={"version": args.version, "reason": out.reason}, **record)
    if out.status == "ingested":
        print(f"Đã khôi phục phiên bản {args.version} của {key} (tệp {out.path}, {out.articles} điều, "
              f"{out.nodes} đoạn); chỉ mục từ vựng và vectơ đã cập nhật.")
    else:
        print(out.reason[:1].upper() + out.reason[1:] + ".")
    return 0


def cmd_compare(args, settings) -> int:
    """Two documents, versions or files compared article by article (ingest.compare); nothing is stored."""
    if args.with_key and args.new:
        print("Chỉ dùng một trong hai: `kb compare A B` hoặc `kb compare TỆP --with SỐ_HIỆU`.", file=sys.stderr)
        return 2
    if not (args.with_key or args.new):
        print("Cần hai bản để so sánh: `kb compare A B` (A là bản cũ, B là bản mới), hoặc "
              "`kb compare TỆP --with SỐ_HIỆU` (tệp so với văn bản đã lưu).", file=sys.stderr)
        return 2
    old, new = (args.with_key, args.old) if args.with_key else (args.old, args.new)
    diff = _kb(settings).compare(old, new)
    if args.json:
        _print_json(diff.to_dict())
    else:
        from kb.compare_text import render_text

        print(render_text(diff))
    return 0


def cmd_audit(args, settings) -> int:
    """What audit.jsonl holds: lines it had to skip (a write cut short) and changes with an intent
    but no outcome (a crash between the commit and its record). Exit 1 when there is either."""
    from ui.audit import read_audit

    reading = read_audit(settings.audit_path)
    if args.json:
        _print_json({"path": str(reading.path), "records": len(reading.records), "skipped_lines": reading.skipped,
                     "unfinished": reading.unfinished})
    else:
        print("\n".join(reading.describe()))
    return 1 if reading.skipped or reading.unfinished else 0


def cmd_ask(args, settings) -> int:
    kb = _kb(settings)
    mode = args.mode or settings.answer_mode
    answer = None
    streamed = False
    for item in kb.ask_stream(args.question, as_of=args.as_of, mode=mode, previous=args.after):
        if isinstance(item, str):
            if not args.json and mode == "llm":
                print(item, end="", flush=True)
                streamed = True
        else:
            answer = item
    if args.json:
        _print_json(answer.to_public_dict())
        return 0
    if streamed:
        print("\n")
    if not streamed or answer.fell_back:
        print(answer.answer)
    if answer.citations:
        print("\nCăn cứ:")
        for i, c in enumerate(answer.citations, 1):
            label = {"reference": " (được dẫn chiếu)", "context": " (liên quan)"}.get(c.role, "")
            status = f" — {c.validity['label']}" if c.validity else ""
            if c.validity and c.validity.get("since") and c.validity.get("value") in ("expired", "suspended"):
                status += f" từ {format_iso(c.validity['since'])}"  # "Hết hiệu lực toàn bộ từ 01/01/2028"
            later = " — trích nội dung hiện hành, không phải nội dung tại ngày hỏi" if c.current_wording else ""
            print(f"  [{i}] {c.citation}{label}{status}{later}")
    for w in answer.warnings:
        print(f"Lưu ý: {w}")
    if answer.missing_documents:
        print("Văn bản được hỏi nhưng chưa có trong cơ sở dữ liệu: " + ", ".join(answer.missing_documents))
    return 0


def cmd_lookup(args, settings) -> int:
    res = _kb(settings).lookup(args.reference, as_of=args.as_of)
    if args.json:
        _print_json(res.to_public_dict())
    elif res.status == "found":
        notes = "".join(f"Lưu ý: {n}\n" for n in res.notes)  # amended, repealed: before the text they qualify
        title = f"Điều {res.article}. {res.article_title}\n" if res.article_title else ""
        when = f" tại ngày {format_iso(res.as_of)}" if res.as_of else ""
        status = f"Hiệu lực{when}: {res.validity['label']} ({res.validity['reason']})\n" if res.validity else ""
        print(f"{res.citation}\n{title}{status}{notes}\n{res.text}")
    else:
        print(res.message)
        if res.suggestions:
            print("Gợi ý: " + "; ".join(res.suggestions))
    return 0 if res.status == "found" else 1


def cmd_desk(args, settings) -> int:
    """`kb duties`, `kb deadlines` (kb.desk_cli)."""
    return args.desk(args, _kb(settings))


def _read_draft(args, settings):
    """The file named (read by ingest's readers), or "-": the text on standard input."""
    from ingest.limits import Limits
    from qa.desk.draft import read_draft_file, read_draft_text

    if args.file == "-":
        return read_draft_text(sys.stdin.read(), settings.desk_max_chars)
    if not Path(args.file).is_file():
        raise KbError(f"{args.file}: không có tệp này. Ghi đường dẫn tệp DOCX, PDF, TXT… hoặc “-” để đọc từ đầu vào chuẩn.")
    return read_draft_file(args.file, settings.desk_max_chars, Limits.from_settings(settings))


def cmd_check_basis(args, settings) -> int:
    from qa.desk.basis_check import PROBLEMS

    report = _kb(settings).check_basis(_read_draft(args, settings), as_of=args.date or None)
    if args.json:
        _print_json(report.to_dict())
    else:
        print("\n".join(report.lines()))
    return 1 if any(c.verdict in PROBLEMS or c.form == "fix" for c in report.citations) else 0


def cmd_trace(args, settings) -> int:
    report = _kb(settings).trace(_read_draft(args, settings), as_of=args.date or None)
    if args.json:
        _print_json(report.to_dict())
    else:
        print("\n".join(report.lines()))
    return 1 if any(t.flagged for t in report.tasks) else 0


def cmd_status(args, settings) -> int:
    """The hiệu lực of a document and where it came from (staff set it with `kb correct --status`)."""
    kb = _kb(settings)
    key = args.number.strip()
    keys = {d.key for d in kb.documents()}
    match = next((k for k in keys if k in (key, key.upper(), key.lower())), None)
    if match is None:
        print(f"Không có văn bản {key!r} trong cơ sở dữ liệu hay danh mục. Xem danh sách bằng `kb docs`.",
              file=sys.stderr)
        return 1
    v = kb.document_status(match, as_of=args.as_of)
    if args.json:
        _print_json(v)
    else:
        when = f" tại ngày {format_iso(args.as_of)}" if args.as_of else ""
        print(f"{match}{when}: {v.get('label', '')} — {v.get('reason', '')}")
    return 0


def cmd_eval(args, settings) -> int:
    if args.cv:
        from kb.train import run_cv_eval  # scikit-learn is imported only for cross-validation

        result = run_cv_eval(_kb(settings), args.file, args.cv)
        if args.json:
            _print_json(result)
        else:
            print(result["report"])
        return 0
    if eval_file_format(args.file) == "answers":  # gold entries are citation strings
        result = evaluate_answers(_kb(settings), load_answer_questions(args.file))
        if args.json:
            _print_json(result)
        else:
            print(answer_report_text(result))
        return 0
    questions = load_questions(args.file)
    result = evaluate(_kb(settings), questions, k=args.k)
    if args.json:
        _print_json(result)
    else:
        for k in ("n", "recall@1", "recall@5", "recall@10", "mrr@10", "clause_recall@5", "answer_first_gold",
                  "latency_ms_p50", "latency_ms_p95"):
            print(f"{k:>16}: {result.get(k)}")
    return 0


def cmd_train(args, settings) -> int:
    if args.variants:  # measures only: the shipped model is not rewritten
        from kb.bench_common import bench_section, write_section
        from core.settings import REPO_ROOT
        from kb.train_variants import variants_table

        table = variants_table()
        print(table)
        write_section(REPO_ROOT / "docs" / "BENCHMARKS.md", "Ranker variants",
                      bench_section("Ranker variants", "kb train --variants", table))
        return 0
    from kb.train import run_train

    print(run_train(k=args.cv, model=args.model, refresh=args.collect, ablation=args.ablation))
    return 0


def cmd_serve(args, settings) -> int:
    settings = settings.with_overrides(host=args.host, port=args.port, workers=args.workers)
    if settings.workers > 1:  # N processes behind one address (kb.workers: why a proxy)
        from kb.workers import serve_workers

        store = KnowledgeStore(settings, make_backends(settings))  # refused here, not in N worker logs
        store.check_servable()
        store.registry.close()
        return serve_workers(settings)
    from ui.app import serve  # gradio takes seconds to import: only for `kb serve`

    kb = _kb(settings)
    embedder = None
    if settings.background_embed:  # deferred vectors, catalogue first then by use (ingest.background)
        from ingest.background import BackgroundEmbedder

        embedder = BackgroundEmbedder(kb.store, usage=kb.take_usage).start()
    try:
        serve(settings, kb)
    finally:
        if embedder is not None:
            embedder.stop(timeout=5)
    return 0


def cmd_bench(args, settings) -> int:
    from kb.bench import run_bench  # benchmark code (baselines, subprocess runners) stays out of the CLI's path

    return run_bench(args, settings)


def cmd_config(args, settings) -> int:
    rows = settings_table()
    if args.markdown:
        print("| khoá (config.toml) | biến môi trường | mặc định | ý nghĩa |\n|---|---|---|---|")
        for key, env, default, desc in rows:
            print(f"| `{key}` | `{env}` | {('`' + default + '`') if default else '—'} | {desc} |")
        return 0
    for key, env, default, desc in rows:
        value = getattr(settings, key)
        if key == "registry_url" and value:  # its password never printed
            from ingest.registry_db import shown_url

            value = shown_url(value)
        print(f"{env:<26} {key:<22} = {value!s:<30} # {desc}")
    return 0


def _date_arg(text: str) -> str:
    from core.vocab import parse_date

    try:
        return parse_date(text) or ""
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kb", description="Cơ sở tri thức văn bản pháp luật: nạp, tra cứu, hỏi đáp.")
    p.add_argument("--home", help="thư mục dữ liệu (mặc định KB_HOME hoặc ./.kb)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="nạp tệp hoặc thư mục (HTML pháp điển, PDF kể cả bản scan, DOCX, DOC, HTML, TXT, ảnh PNG/JPEG/TIFF, JSON ALQAC)")
    s.add_argument("paths", nargs="*")
    s.add_argument("--default-corpus", action="store_true", help="nạp danh sách corpus trong cấu hình")
    s.add_argument("--no-embed", action="store_true", help="chỉ chỉ mục từ vựng; tính vectơ sau bằng `kb embed`")
    s.add_argument("--force", action="store_true", help="nạp lại cả tệp không đổi")
    s.add_argument("--replace", action="store_true",
                   help="cho phép thay thế văn bản cùng số hiệu/tên đang lấy từ một tệp khác (mặc định: từ chối)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("embed", help="tính các vectơ còn thiếu và đưa vào Chroma (tiếp tục được)")
    s.add_argument("--limit", type=int)
    s.set_defaults(func=cmd_embed)

    s = sub.add_parser("docs", help="danh sách văn bản (đã nạp / còn thiếu)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("copy-registry", help="sao chép toàn bộ registry SQLite của thư mục dữ liệu sang một "
                                             "registry PostgreSQL rỗng (chuyển sang nhiều máy chủ)")
    s.add_argument("--to", required=True, help="postgresql://người_dùng:mật_khẩu@máy:cổng/csdl (rỗng)")
    s.set_defaults(func=cmd_copy_registry)

    s = sub.add_parser("remove", help="gỡ một văn bản khỏi mọi chỉ mục")
    s.add_argument("number")
    s.set_defaults(func=cmd_remove)

    s = sub.add_parser("correct", help="sửa thông tin nhận dạng của văn bản đã lưu (đọc lại tệp nguồn; ghi nhật ký; "
                                       "giữ cho các bản sau)")
    s.add_argument("key", help="số hiệu (hoặc tên) văn bản, như trong `kb docs`")
    s.add_argument("--number", help="số hiệu đúng")
    s.add_argument("--type", help="loại văn bản, ví dụ Quyết định")
    s.add_argument("--title", help="trích yếu")
    s.add_argument("--issuer", help="tên đầy đủ của cơ quan ban hành, ví dụ “Ủy ban nhân dân tỉnh …”")
    s.add_argument("--issued-on", help="ngày ban hành (dd/mm/yyyy hoặc YYYY-MM-DD)")
    s.add_argument("--effective-from", help="ngày có hiệu lực (dd/mm/yyyy hoặc YYYY-MM-DD)")
    s.add_argument("--status", help="tình trạng hiệu lực do cán bộ pháp chế xác định: " + " | ".join(STAFF_STATUSES)
                   + "; \"\" để bỏ xác định, trở về theo nguồn (danh mục, Bộ pháp điển, quan hệ sửa đổi)")
    s.add_argument("--status-since", help="hiệu lực đó từ ngày (dd/mm/yyyy hoặc YYYY-MM-DD); đi kèm --status")
    s.add_argument("--status-note", help="căn cứ xác định, ví dụ văn bản bãi bỏ; đi kèm --status")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_correct)

    s = sub.add_parser("versions", help="lịch sử phiên bản của một văn bản: ngày, người nạp, tệp, bản đang dùng")
    s.add_argument("key", help="số hiệu (hoặc khoá) văn bản, ví dụ 72/2015/NĐ-CP")
    s.add_argument("--show", type=int, metavar="PHIÊN_BẢN", help="in nội dung của phiên bản này")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_versions)

    s = sub.add_parser("restore", help="khôi phục một phiên bản cũ làm nội dung đang dùng (ghi nhật ký)")
    s.add_argument("key", help="số hiệu (hoặc khoá) văn bản")
    s.add_argument("version", type=int, help="số phiên bản (xem bằng `kb versions`)")
    s.set_defaults(func=cmd_restore)

    s = sub.add_parser("compare", help="so sánh hai văn bản, hai phiên bản, hoặc một tệp với văn bản đã lưu: điều "
                                       "thêm, bỏ, sửa đổi (từng chữ), đánh số lại; không lưu gì")
    s.add_argument("old", metavar="A", help="bản cũ: số hiệu văn bản đã lưu, SỐ_HIỆU@N (phiên bản N, xem "
                                            "`kb versions`) hoặc đường dẫn một tệp")
    s.add_argument("new", metavar="B", nargs="?", help="bản mới, viết như A")
    s.add_argument("--with", dest="with_key", metavar="SỐ_HIỆU",
                   help="so tệp A (bản mới) với văn bản đã lưu này, hoặc SỐ_HIỆU@N")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("audit", help="kiểm tra nhật ký kiểm toán: dòng hỏng bị bỏ qua, thao tác có ý định mà chưa có kết quả")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser("ask", help="hỏi đáp có trích dẫn")
    s.add_argument("question")
    s.add_argument("--after", help="câu hỏi trước đó trong cùng cuộc hội thoại: câu này được hiểu là câu hỏi tiếp theo")
    s.add_argument("--mode", choices=["extractive", "llm"])
    s.add_argument("--as-of", type=_date_arg, help="YYYY-MM-DD: chỉ dùng quy định đã có hiệu lực tại ngày này")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("lookup", help="tra cứu theo tham chiếu, ví dụ “k3 đ7 nđ 72/2015”")
    s.add_argument("reference")
    s.add_argument("--as-of", type=_date_arg,
                   help="ngày (dd/mm/yyyy hoặc YYYY-MM-DD): nội dung có hiệu lực tại ngày đó, đã áp dụng các "
                        "văn bản sửa đổi có trong cơ sở dữ liệu")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_lookup)

    from kb.desk_cli import add_parsers as add_desk_parsers

    add_desk_parsers(sub, _date_arg, cmd_desk)

    s = sub.add_parser("check-basis", help="kiểm tra căn cứ của dự thảo: mọi văn bản, điều khoản được dẫn (tồn tại, "
                                           "hiệu lực tại ngày, sửa đổi, thay thế, cách ghi)")
    s.add_argument("file", help="dự thảo (DOCX, PDF, DOC, HTML, TXT) hoặc “-” để đọc văn bản từ đầu vào chuẩn")
    s.add_argument("--date", type=_date_arg, help="ngày kiểm tra (dd/mm/yyyy hoặc YYYY-MM-DD); mặc định ngày ghi "
                                                  "trên dự thảo, nếu không có thì hôm nay")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_check_basis)

    s = sub.add_parser("trace", help="đối chiếu công văn, kế hoạch, nghị quyết: từng nhiệm vụ với điều khoản làm căn cứ")
    s.add_argument("file", help="văn bản (DOCX, PDF, DOC, HTML, TXT) hoặc “-” để đọc từ đầu vào chuẩn")
    s.add_argument("--date", type=_date_arg, help="ngày đối chiếu (dd/mm/yyyy hoặc YYYY-MM-DD): chỉ văn bản có hiệu lực tại ngày đó")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_trace)

    s = sub.add_parser("status", help="hiệu lực của một văn bản và nguồn của nó (cán bộ pháp chế đặt hiệu lực bằng "
                                      "`kb correct SỐ_HIỆU --status …`)")
    s.add_argument("number")
    s.add_argument("--as-of", type=_date_arg, help="xem hiệu lực tại ngày này")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("eval", help="đánh giá truy hồi (ALQAC, JSONL gold điều/khoản) hoặc câu trả lời (gold là trích dẫn)")
    s.add_argument("file")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--cv", type=int, default=0, metavar="K",
                   help="kiểm định chéo K phần (nhóm theo câu hỏi): mỗi câu được chấm bởi mô hình chưa thấy nó")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("train", help="học trọng số xếp hạng và mô hình căn cứ từ các bộ câu hỏi có nhãn")
    s.add_argument("--cv", type=int, default=5, metavar="K", help="số phần kiểm định chéo (mặc định 5)")
    s.add_argument("--model", choices=["linear", "lambdamart"], default="lambdamart",
                   help="loại mô hình xếp hạng được ghi ra (loại kia được kiểm định chéo để so sánh)")
    s.add_argument("--collect", action="store_true", help="tính lại đặc trưng của mọi câu (bỏ bộ nhớ đệm)")
    s.add_argument("--ablation", action="store_true", help="thêm bảng bỏ từng đặc trưng")
    s.add_argument("--variants", action="store_true",
                   help="chỉ đo các phương án đã thử (kiểm định chéo 5 phần, ba lần xáo), không ghi mô hình")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("serve", help="chạy giao diện web")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, help="số tiến trình sau cùng một địa chỉ (cần CHROMA_HOST); mặc định KB_WORKERS")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("config", help="các thiết lập, biến môi trường và giá trị hiện tại")
    s.add_argument("--markdown", action="store_true", help="in bảng Markdown (dùng cho README)")
    s.set_defaults(func=cmd_config)

    s = sub.add_parser("bench", help="đo hiệu năng (ghi vào docs/BENCHMARKS.md)")
    s.add_argument("what", choices=["ingest", "qa", "qa-rules", "load", "load-workers", "chroma-outage", "embed-server",
                                    "article-vectors", "scale", "desk", "desk-basis", "validity", "ocr-once", "registry", "read",
                                    "bodies", "two-hosts", "lexical-segments"],
                   help="load: 20 người dùng hỏi qua gradio_client trong 2 phút, có và không có cán bộ đang nạp; "
                        "load-workers: 20 người dùng với `kb serve --workers` 1, 2, 4 và một máy chủ Chroma; "
                        "chroma-outage: 20 người dùng trong khi máy chủ Chroma bị dừng rồi khởi động lại; "
                        "lexical-segments: nạp một văn bản vào toàn bộ pháp điển (một phân đoạn chỉ mục từ vựng, "
                        "không dựng lại); "
                        "embed-server: tốc độ nhúng tại chỗ và qua máy chủ nhúng tương thích OpenAI (1, 2, 4 tiến trình); "
                        "article-vectors: vectơ theo điều so với theo khoản (chất lượng và chi phí); "
                        "scale: nạp và hỏi trên ≈1 nghìn, ≈10 nghìn và toàn bộ 62 nghìn điều của pháp điển; "
                        "desk: độ chính xác và độ phủ của “Ai phải làm gì” và “Thời hạn” trên bộ nhãn đề mục 32.1; "
                        "desk-basis: kiểm tra căn cứ trên bộ dự thảo tổng hợp có đáp án (kb/data/basis_check_gold.jsonl); "
                        "validity: số văn bản, số điều có hiệu lực đã biết (đề mục 32.1 và toàn bộ pháp điển) theo nguồn; "
                        "ocr-once: xem trước rồi nạp một bản quét, có và không giữ chữ OCR (KB_OCR_CACHE_MB); "
                        "registry: cùng việc nạp và đọc trên registry SQLite và PostgreSQL; "
                        "read: chi phí đọc mỗi tệp trong tiến trình con, và tệp độc hại bị dừng ở giới hạn nào; "
                        "bodies: bộ nhớ máy chủ khi 10 máy khách gửi thân 300 MB và 30 lượt tải lên bị treo; "
                        "two-hosts: 20 người dùng trên một rồi hai `kb serve` (thư mục riêng, chung PostgreSQL và "
                        "máy chủ Chroma) trong khi cán bộ pháp chế nạp, và độ trễ đến khi máy kia trả lời từ văn bản mới")
    s.add_argument("--quick", action="store_true", help="bỏ toàn bộ pháp điển (ingest: chỉ đề mục 32.1 và ALQAC; "
                                                        "scale: đến ≈10 nghìn điều)")
    s.add_argument("--out", default="docs/BENCHMARKS.md")
    s.add_argument("--registry-url", default=None,
                   help="registry: máy chủ PostgreSQL để đo (postgresql://…); để trống: một cụm tạm trên máy này")
    s.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(home=args.home)
        if args.home is None and settings.home == Path(".kb"):
            settings = settings.with_overrides(home=Path(".kb"))
        return args.func(args, settings)
    except KbError as exc:  # every expected failure: a message that says what to do, never a traceback
        print(f"{'Lỗi cấu hình' if isinstance(exc, SettingsError) else 'Lỗi'}: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `kb … | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("Đã dừng. Chạy lại cùng lệnh để hoàn tất (các bước đã xong không làm lại).", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
