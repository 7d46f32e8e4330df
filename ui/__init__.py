"""Gradio web UI: Hỏi đáp, Tra cứu, Văn bản (see docs/UI.md)."""
