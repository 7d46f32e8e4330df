"""Both tools over the documents in force on one date (the UI and the CLI show a body's duties and
its deadlines side by side; the service keeps one view per registry generation and date). A body's
rows are read on first request from the articles that name it or a broader kind it is one of, and kept."""
from __future__ import annotations

import threading
from typing import Iterable

from core.bodies import KINDS
from qa.desk.deadlines import Deadline, all_deadlines, deadlines_of
from qa.desk.duties import Duty, all_duties, duties_of
from qa.desk.source import DeskDocument


class DeskView:
    def __init__(self, docs: Iterable[DeskDocument], as_of: str):
        self.docs = tuple(docs)
        self.as_of = as_of  # ISO date the units are in force on
        self.documents = len(self.docs)  # documents in force read
        self._rows: dict[frozenset | None, tuple[list[Duty], list[Deadline]]] = {}
        self._lock = threading.Lock()

    def rows(self, kinds: frozenset[str] | None = None) -> tuple[list[Duty], list[Deadline]]:
        """The duty rows and time limits of the articles naming one of `kinds` (every article when None)."""
        with self._lock:
            if kinds not in self._rows:
                duties = all_duties(self.docs, kinds)
                self._rows[kinds] = (duties, all_deadlines(self.docs, duties, kinds))
            return self._rows[kinds]

    @property
    def duties(self) -> list[Duty]:
        return self.rows()[0]

    @property
    def deadlines(self) -> list[Deadline]:
        return self.rows()[1]

    @staticmethod
    def _kinds(body: str, general: bool) -> frozenset[str]:
        return frozenset({body, *(KINDS[body].bears if general and body in KINDS else ())})

    def duties_of(self, body: str, general: bool = True) -> list[Duty]:
        return duties_of(self.rows(self._kinds(body, general))[0], body, general)

    def deadlines_of(self, body: str | None, general: bool = True) -> list[Deadline]:
        if not body:
            return self.deadlines
        return deadlines_of(self.rows(self._kinds(body, general))[1], body, general)


def build_view(docs: Iterable[DeskDocument], as_of: str) -> DeskView:
    return DeskView(docs, as_of)
