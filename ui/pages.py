"""Gradio page sessions bound to the browser that opened them.

Gradio keys a page's state (the conversation, the clauses collected for a DOCX, a staff member's
previews) by its `session_hash`, which the browser makes up and sends in URLs
(`queue/data?session_hash=…`, `heartbeat/<hash>`) and request bodies: it lands in proxy and
access logs, and whoever copies it could run the page's events with that state — read the
conversation, export the selection. So each browser gets a random HttpOnly cookie (`kb_browser`,
set with the page and with `/config`, which gradio_client reads first and keeps the cookies of),
and the first browser to use a session_hash owns it: ui.web's middleware refuses the hash from
any other (403), before Gradio sees the request. Which routes carry a hash, and where, is listed
in ui.routes (`Rule.page`).

Bounded: the owners of the most recently used PAGE_CAPACITY hashes are kept. That is twice the
number of page states Gradio keeps (its state_session_capacity, 10,000 by default, also dropped
oldest first), so a hash forgotten here has no state left in Gradio to take; and a hash that
Gradio still holds state for is never handed to a new owner.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

COOKIE = "kb_browser"
PAGE_CAPACITY = 20_000
REFUSED = ("Trang này đang mở ở một trình duyệt khác (mã phiên trang không thuộc trình duyệt này). "
           "Hãy tải lại trang (F5) để mở một phiên mới.")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_header(value: str, secure: bool) -> str:
    """No Max-Age: it lives as long as the browser session. SameSite=Lax (not Strict): a link
    followed from elsewhere must still send it, or the page would get a new cookie and the
    browser's other open pages would lose theirs."""
    return f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")


class PageOwners:
    """session_hash -> the browser cookie that first used it (most recently used kept)."""

    def __init__(self, capacity: int = PAGE_CAPACITY):
        self.capacity = capacity
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, session_hash: str, browser: str, has_state: bool = False) -> bool:
        """May `browser` (its cookie, "" without one) use `session_hash`? The first to use it owns
        it; `has_state`: Gradio already holds state for this hash, so an unknown one is refused."""
        with self._lock:
            owner = self._owners.get(session_hash)
            if owner is None:
                if has_state:
                    return False
                self._owners[session_hash] = browser
                while len(self._owners) > self.capacity:
                    self._owners.popitem(last=False)
                return True
            self._owners.move_to_end(session_hash)
            return secrets.compare_digest(owner.encode(), browser.encode())
