"""Which requests may reach Gradio at all. ui.web's middleware refuses every other one (404 for a
path not listed, 405 for a listed path with another method) before Gradio reads a byte of its body.

Why an allow-list: Gradio mounts some sixty routes, most for features this app does not use
(screen recording, vibe editing, direct `run/` calls, streaming, monitoring, MCP…), and several of
them parse a body into memory or temp files before any check of ours could run
(`/gradio_api/process_recording` kept every multipart body in the system temp dir). What is listed
is what the page needs (found by loading it in Chromium: tests/test_ui_browser.py exercises it),
what gradio_client needs for `/ask` and `/lookup`, the `curl` calls the page's API panel documents,
and what `launch()` itself calls.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

READ = frozenset({"GET", "HEAD"})
POST = frozenset({"POST"})


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regular expression over the whole path (root_path and trailing "/" removed)
    methods: frozenset[str]
    staff: bool = False  # only with a live legal-staff cookie (403 otherwise, before the body)
    upload: bool = False  # a body up to the upload limit (KB_MAX_UPLOAD_MB) instead of KB_MAX_REQUEST_KB
    # Where the request names its page (Gradio's session_hash): "query", "path" (the last segment)
    # or "body" (a JSON field). Only the browser that first used a page may (ui.pages).
    page: str = ""


RULES: tuple[Rule, ...] = (
    Rule("", READ),  # the page (HEAD: launch() checks it answers)
    Rule("/config", READ),
    Rule("/theme.css|/gradio_api/theme.css|/favicon.ico|/robots.txt", READ),
    Rule("/assets/.+|/static/.+", READ),  # the frontend's files (Gradio refuses paths outside its build)
    Rule("/gradio_api/info", READ),  # the API panel and gradio_client
    Rule("/gradio_api/startup-events", READ),  # launch() calls it once
    Rule("/gradio_api/heartbeat/[^/]+", READ, page="path"),
    Rule("/gradio_api/queue/join", POST, page="body"),  # every event; the handlers check who may run it
    Rule("/gradio_api/queue/data", READ, page="query"),
    Rule("/gradio_api/cancel", POST, page="body"),  # gradio_client's job.cancel()
    Rule("/gradio_api/call/[^/]+", POST, page="body"),  # the API panel's curl examples (a session_hash is optional)
    Rule("/gradio_api/call/[^/]+/[^/]+", READ),
    Rule("/gradio_api/file=.+", READ),  # downloads (Gradio serves only the paths KbBlocks.launch allows)
    Rule("/gradio_api/upload", POST, staff=True, upload=True),
    Rule("/gradio_api/upload_progress", READ, staff=True),
    Rule("/kb/session", frozenset({"POST", "DELETE"})),  # ui.web's login route
    Rule("/login", POST),  # Gradio's own login form (KB_ALLOW_ANONYMOUS=false)
    Rule("/logout", READ),
)
_COMPILED = tuple((re.compile(r.pattern), r) for r in RULES)


def relative_path(scope) -> str:
    """The request's path inside the app: without a root_path prefix and without a trailing "/"."""
    path, root = scope.get("path", ""), (scope.get("root_path") or "").rstrip("/")
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    return path.rstrip("/")


def match(method: str, path: str) -> Rule | int:
    """The rule a request falls under, or the status refusing it: 404 (not a path of this app) or 405."""
    known = [r for rx, r in _COMPILED if rx.fullmatch(path)]
    if not known:
        return 404
    return next((r for r in known if method in r.methods), 405)


def allowed_methods(path: str) -> list[str]:
    return sorted({m for rx, r in _COMPILED if rx.fullmatch(path) for m in r.methods})
