"""One error family. Every error a user can cause or fix is a KbError whose message says, in
Vietnamese, what is wrong and what to do; the CLI and the UI catch KbError once and show it."""
from __future__ import annotations


class KbError(Exception):
    """Base of every expected failure (bad setting, bad file, unreachable backend…)."""

    exit_code = 1


class SettingsError(KbError, ValueError):
    """A setting has a value we cannot use; the message says which and what is valid."""

    exit_code = 2


class BackendError(KbError):
    """A backend (embedding model, Chroma, LLM server) cannot be used as configured."""
