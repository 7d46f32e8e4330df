"""Both tools over the documents in force on one date, computed together (the UI and the CLI show a
body's duties and its deadlines side by side; the service caches one view per registry generation)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from qa.desk.deadlines import Deadline, all_deadlines, deadlines_of
from qa.desk.duties import Duty, all_duties, duties_of
from qa.desk.source import DeskDocument


@dataclass(frozen=True)
class DeskView:
    as_of: str  # ISO date the units are in force on
    duties: tuple[Duty, ...]
    deadlines: tuple[Deadline, ...]
    documents: int  # documents in force read

    def duties_of(self, body: str, general: bool = True) -> list[Duty]:
        return duties_of(self.duties, body, general)

    def deadlines_of(self, body: str | None, general: bool = True) -> list[Deadline]:
        return deadlines_of(self.deadlines, body, general)


def build_view(docs: Iterable[DeskDocument], as_of: str) -> DeskView:
    docs = list(docs)
    return DeskView(as_of, tuple(all_duties(docs)), tuple(all_deadlines(docs)), len(docs))
