"""Readers: pure functions from a file to LegalDocument objects. `read_path` picks one by format."""
