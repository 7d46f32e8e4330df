"""Vietnamese legal-document knowledge base: CLI, settings and backend components."""
