"""Conversations kept in the reader's browser (localStorage, through gr.BrowserState), per user.

The stored value is {"v": 1, "users": {user: [conversation, …]}}, newest first; a conversation is
{"id", "title", "updated", "turns": [turn record, …]}. A turn record is the JSON form of a turn of
the Hỏi đáp tab (the answer as `kb ask --json` gives it, minus what the page never shows).

The value comes back from the browser, so it is read as untrusted input: every field is checked and
clipped, a record that does not fit is dropped, and nothing in it reaches the server's files. What
it can hold is the reader's own text; the clause panel always reads the clause from the store by
its node id, never from here. "Per user" separates the accounts that use one browser (the guest
is ""); it is not a secret from someone who can open the browser's storage.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets

from qa.types import Answer, Citation
from ui.render import esc, format_date

VERSION = 1
MAX_CONVERSATIONS = 20  # per user; the oldest go first
MAX_TURNS = 30  # per conversation; the oldest go first
MAX_CITATIONS = 30
MAX_TEXT = 20_000  # characters of an answer, or of a quote
MAX_FIELD = 500  # a citation, a title, a date…
# The whole value, as UTF-8 JSON: the page sends it up with every event that reads it, and the event
# that takes another tab's value (adopt_stored) sends it beside that value sealed (base64: about 4/3
# of it), all under the server's request cap (KB_MAX_REQUEST_KB, 1 MB by default): 400 KB + 540 KB
# fit. Browsers cap localStorage near 5 MB per site. The oldest conversations go first.
MAX_STORED_BYTES = 400_000
EMPTY = {"v": VERSION, "users": {}}
SECRET = "kb-hoi-dap-v1"  # gr.BrowserState's: it only keeps the stored text unreadable at a glance (ui.app)
_CITATION_FIELDS = ("document", "article", "clause", "point", "citation", "node_id", "status", "role", "article_title")


def _s(value, limit: int = MAX_FIELD) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _list_of_str(value, limit: int = MAX_CITATIONS) -> list[str]:
    return [_s(v) for v in value[:limit] if isinstance(v, str)] if isinstance(value, list) else []


def new_id() -> str:
    return secrets.token_hex(8)


# ---------------------------------------------------------------- one turn <-> its record


def turn_record(turn: dict) -> dict | None:
    """A finished turn as stored (None while it streams or when it failed: only answers are kept)."""
    answer: Answer | None = turn.get("answer")
    if answer is None:
        return None
    public = answer.to_public_dict()
    return {
        "id": turn.get("id", ""), "question": turn.get("question", ""), "as_of": turn.get("as_of") or "",
        "documents": list(turn.get("documents") or []), "mode": turn.get("mode", ""),
        "feedback": turn.get("feedback"), "formal": list(turn.get("formal") or []),
        "near": list(turn.get("near") or []),
        "answer": {k: public[k] for k in ("answer", "citations", "basis", "confidence", "mode", "warnings",
                                          "dropped_citations", "fell_back", "continues")},
    }


def _citation(rec) -> Citation | None:
    if not isinstance(rec, dict) or not isinstance(rec.get("citation"), str) or not isinstance(rec.get("node_id"), str):
        return None
    validity = rec.get("validity") if isinstance(rec.get("validity"), dict) else {}
    return Citation(**{k: _s(rec.get(k)) for k in _CITATION_FIELDS}, quote=_s(rec.get("quote"), MAX_TEXT),
                    amended_by=_list_of_str(rec.get("amended_by")),
                    validity={k: _s(v) for k, v in list(validity.items())[:10] if isinstance(k, str)},
                    current_wording=rec.get("current_wording") is True)


def _near(rec) -> dict | None:
    if not isinstance(rec, dict) or not isinstance(rec.get("node_id"), str):
        return None
    return {"citation": _s(rec.get("citation")), "node_id": _s(rec.get("node_id")),
            "article_title": _s(rec.get("article_title")), "document": _s(rec.get("document")),
            "text": _s(rec.get("text"), MAX_TEXT)}


def turn_from_record(rec, question_chars: int) -> dict | None:
    """A stored record back into a turn of the page, or None when it is not one."""
    if not isinstance(rec, dict) or not isinstance(rec.get("answer"), dict) or not isinstance(rec.get("question"), str):
        return None
    a = rec["answer"]
    basis = a.get("basis") if a.get("basis") in ("found", "weak", "none") else "none"
    mode = a.get("mode") if a.get("mode") in ("extractive", "llm") else "extractive"
    citations = [c for c in map(_citation, a.get("citations", [])[:MAX_CITATIONS]
                                if isinstance(a.get("citations"), list) else []) if c is not None]
    confidence = a.get("confidence") if isinstance(a.get("confidence"), (int, float)) else 0.0
    answer = Answer(question=_s(rec["question"], question_chars), answer=_s(a.get("answer"), MAX_TEXT),
                    citations=citations, basis=basis, confidence=float(confidence), mode=mode,
                    warnings=_list_of_str(a.get("warnings")), dropped_citations=_list_of_str(a.get("dropped_citations")),
                    fell_back=a.get("fell_back") is True, continues=_s(a.get("continues"), question_chars))
    near = [n for n in map(_near, rec.get("near", [])[:5] if isinstance(rec.get("near"), list) else []) if n]
    feedback = rec.get("feedback") if rec.get("feedback") in ("up", "down") else None
    return {"id": _s(rec.get("id"), 32) or new_id(), "question": answer.question, "text": "", "answer": answer,
            "feedback": feedback, "error": "", "as_of": _s(rec.get("as_of"), 10) or None,
            "documents": _list_of_str(rec.get("documents")), "mode": mode,
            "formal": _list_of_str(rec.get("formal")), "near": near}


# ---------------------------------------------------------------- the stored value


def _users(value) -> dict:
    if not isinstance(value, dict) or value.get("v") != VERSION or not isinstance(value.get("users"), dict):
        return {}
    return value["users"]


def conversations(value, user: str) -> list[dict]:
    """The user's conversations, newest first (only well-formed ones)."""
    convs = _users(value).get(user)
    if not isinstance(convs, list):
        return []
    return [c for c in convs[:MAX_CONVERSATIONS] if isinstance(c, dict) and isinstance(c.get("id"), str)
            and isinstance(c.get("turns"), list)]


def find(value, user: str, conv_id: str) -> dict | None:
    return next((c for c in conversations(value, user) if c["id"] == conv_id), None)


def turns_of(conv: dict | None, question_chars: int) -> list[dict]:
    if not conv:
        return []
    return [t for t in (turn_from_record(r, question_chars) for r in conv["turns"][-MAX_TURNS:]) if t is not None]


def save(value, user: str, conv_id: str, turns: list[dict], now: dt.datetime | None = None) -> dict:
    """`value` with the conversation `conv_id` holding `turns` (moved first); a conversation with no
    finished answer is not stored."""
    users = dict(_users(value))
    records = [r for r in (turn_record(t) for t in turns) if r is not None][-MAX_TURNS:]
    others = [c for c in conversations(value, user) if c["id"] != conv_id]
    if records:
        when = (now or dt.datetime.now()).isoformat(timespec="seconds")
        others.insert(0, {"id": conv_id, "title": records[0]["question"][:MAX_FIELD], "updated": when,
                          "turns": records})
    users[user] = others[:MAX_CONVERSATIONS]
    value = {"v": VERSION, "users": users}
    while len(users[user]) > 1 and len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > MAX_STORED_BYTES:
        users[user] = users[user][:-1]
    return value


def from_browser_storage(raw, secret: str) -> dict | None:
    """The value another tab of this browser just stored (the raw localStorage item a `storage` event
    carries), or None when it is not one. gr.BrowserState writes base64(iv) + ":" + CryptoJS's
    AES.encrypt(json, SHA-256 hex of the secret): OpenSSL's "Salted__" form, whose key and iv come
    from that passphrase and the salt by EVP_BytesToKey (MD5, one round). Untrusted like any input:
    bounded, and read only through `conversations` like the value the page loaded with."""
    if not isinstance(raw, str) or len(raw) > MAX_STORED_BYTES * 2 or ":" not in raw:
        return None
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        blob = base64.b64decode(raw.split(":", 1)[1], validate=True)
        if blob[:8] != b"Salted__" or len(blob) < 32 or (len(blob) - 16) % 16:
            return None
        salt, sealed = blob[8:16], blob[16:]
        passphrase = hashlib.sha256(secret.encode("utf-8")).hexdigest().encode("ascii")
        derived, block = b"", b""
        while len(derived) < 48:
            block = hashlib.md5(block + passphrase + salt).digest()  # noqa: S324 (the format's own KDF)
            derived += block
        decryptor = Cipher(algorithms.AES(derived[:32]), modes.CBC(derived[32:48])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(decryptor.update(sealed) + decryptor.finalize()) + unpadder.finalize()
        value = json.loads(plain.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if _users(value) or value == EMPTY else None


def forget(value, user: str) -> dict:
    """"Xoá lịch sử": the user's conversations gone from this browser; other users' stay."""
    users = {k: v for k, v in _users(value).items() if k != user}
    return {"v": VERSION, "users": users}


def render_list(convs: list[dict], current: str = "") -> str:
    """The past conversations, newest first: a button each (its first question, date, number of questions)."""
    if not convs:
        return '<div class="kb-empty kb-conv-empty">Chưa có cuộc hội thoại nào được lưu trên trình duyệt này.</div>'
    items = []
    for c in convs:
        when = _s(c.get("updated"), 19)
        shown = format_date(when[:10]) + (f" {when[11:16]}" if len(when) >= 16 else "")
        n = len(c["turns"])
        mark = ' aria-current="true"' if c["id"] == current else ""
        items.append(f'<li><button type="button" class="kb-conv" data-action="open-conv" data-conv="{esc(c["id"])}"'
                     f'{mark}><span class="kb-conv-title">{esc(_s(c.get("title")))}</span>'
                     f'<span class="kb-sub"> · {esc(shown)} · {n} câu hỏi</span></button></li>')
    return ('<ul class="kb-conv-list" aria-label="Các cuộc hội thoại trước">' + "".join(items) + "</ul>")
