"""Handlers of the conversations a reader keeps (ui.conversations): restore on load, save after each
answer, open a past one, forget them all, and ask the question a ?q=… link carries.

A mixin of ui.app.App (as ui.staff.StaffActions is): it uses the app's settings, its login check
and its ask_chat. The stored value lives in the browser (gr.BrowserState); the server keeps none.
"""
from __future__ import annotations

import gradio as gr

from ui import chat_view, conversations, render

LINK_PARAM = "q"


class ConversationActions:
    settings: object

    def _reader_key(self, session, request) -> str:
        """Whose conversations: the legal-staff login of this browser, Gradio's logged-in user when
        reading needs a login, else the guest ("")."""
        s = self.session_of(session, request)  # type: ignore[attr-defined]
        if s is not None:
            return s.username
        return getattr(request, "username", None) or ""

    def _list(self, stored, key: str, current: str) -> str:
        return conversations.render_list(conversations.conversations(stored, key), current)

    def restore_chat(self, stored, turns, session, request: gr.Request):
        """On load: the latest conversation of this user back on the page, unless the address asks a
        question (?q=…), which starts a new one. A question asked before this step ran (a reader quicker
        than a loaded server, or an error answered at once) stays: the page is only ever filled here,
        never emptied, so nothing typed is lost to a late restore."""
        key = self._reader_key(session, request)
        convs = conversations.conversations(stored, key)
        asked = _link_question(request)
        if turns or asked or not convs:
            return gr.skip(), gr.skip(), gr.skip(), self._list(stored, key, "")
        turns = conversations.turns_of(convs[0], self.settings.max_question_chars)
        return chat_view.render_chat(turns), turns, convs[0]["id"], self._list(stored, key, convs[0]["id"])

    def save_chat(self, stored, turns, conv_id, session, request: gr.Request):
        """After an answer (or a vote): the conversation stored in the browser, the list redrawn."""
        key = self._reader_key(session, request)
        if not any(t.get("answer") is not None for t in turns or []):
            return gr.skip(), conv_id, self._list(stored, key, conv_id)
        conv_id = conv_id or conversations.new_id()
        stored = conversations.save(stored, key, conv_id, list(turns or []))
        return stored, conv_id, self._list(stored, key, conv_id)

    def new_conversation(self, stored, session, request: gr.Request):
        """"Cuộc hội thoại mới": the next answer starts a new stored conversation; the list stays."""
        return "", self._list(stored, self._reader_key(session, request), "")

    def open_conversation(self, stored, session, evt: gr.EventData, request: gr.Request):
        data = getattr(evt, "_data", None) or {}
        key = self._reader_key(session, request)
        conv = conversations.find(stored, key, str(data.get("conv", ""))) if data.get("action") == "open-conv" else None
        if conv is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        turns = conversations.turns_of(conv, self.settings.max_question_chars)
        return (chat_view.render_chat(turns), turns, conv["id"], self._list(stored, key, conv["id"]),
                render.CLAUSE_PLACEHOLDER)

    def adopt_stored(self, stored, conv_id, session, evt: gr.EventData, request: gr.Request):
        """Another tab of this browser stored the conversations (an answer, "Xoá lịch sử"): this tab
        takes that value as its own, so its next save keeps what the other stored instead of writing
        over it. Every tab does the same on every save, so the stored value holds every tab's
        conversations; taking the same value back again (the echo of this tab's own write) is skipped."""
        data = getattr(evt, "_data", None) or {}
        if data.get("action") != "stored-elsewhere":
            return gr.skip(), gr.skip()
        theirs = conversations.from_browser_storage(data.get("stored"), conversations.SECRET)
        if theirs is None or theirs == stored:
            return gr.skip(), gr.skip()
        return theirs, self._list(theirs, self._reader_key(session, request), conv_id or "")

    def forget_history(self, stored, session, request: gr.Request):
        """"Xoá lịch sử": this user's conversations gone from the browser, and the page emptied."""
        key = self._reader_key(session, request)
        stored = conversations.forget(stored, key)
        return (stored, chat_view.render_chat([]), [], "", self._list(stored, key, ""), render.CLAUSE_PLACEHOLDER,
                '<div class="kb-note" role="status">Đã xoá lịch sử hội thoại trên trình duyệt này.</div>')

    def ask_link(self, as_of, mode, documents, turns, session, request: gr.Request):
        """The question of a ?q=… link, asked once the page has loaded (nothing when there is none)."""
        asked = _link_question(request)
        if not asked:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        yield from self.ask_chat(asked, as_of, mode, documents, turns, session, request)  # type: ignore[attr-defined]


def _link_question(request) -> str:
    params = getattr(request, "query_params", None) or {}
    value = params.get(LINK_PARAM, "") if hasattr(params, "get") else ""
    return value.strip() if isinstance(value, str) else ""
