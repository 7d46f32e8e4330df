"""What a format reader noticed while turning a file into lines (OCR confidence, a legacy encoding
converted), handed to the LegalDocument's warnings so staff see it in the preview and the report.

The line readers return plain lists of lines; rather than change every reader's return type, a
reader calls `note(...)` and read_original_file collects the notes around the read.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("kb_reader_notes", default=None)


@contextmanager
def collecting_notes():
    """Collect the notes of the reads inside the block (nested blocks collect their own)."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def note(text: str) -> None:
    """Record a note for the document being read (nothing happens outside collecting_notes)."""
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)
