"""Article-JSON of public Vietnamese legal benchmarks (ALQAC / Zalo) -> documents.

Two shapes: {"<law title>@<article>": "<title>\\n\\n<body>"} and
[{"law_id": …, "articles": [{"article_id": …, "text": …}]}]. The law title is the identity.
"""
from __future__ import annotations

import json

from core.vocab import DOC_TYPES
from ingest.model import Article, LegalDocument, ReaderError
from ingest.structure import split_clauses
from ingest.text import clean_line, clean_lines



def _doc_type(title: str) -> str:
    low = title.lower()
    return next((t for t in DOC_TYPES if low.startswith(t.lower())), "")


def _article(number: str, raw: str) -> Article:
    lines = clean_lines(raw.split("\n"))
    title = ""
    # "<article title>\n\n<body>": the first paragraph is the title when more text follows
    if len(lines) > 1 and not lines[0][:2].rstrip(".").isdigit():
        title, lines = lines[0], lines[1:]
    intro, clauses = split_clauses(lines)
    return Article(number=str(number).strip(), title=title, intro=intro, clauses=clauses)


def parse_benchmark_json(data, source_path: str = "") -> list[LegalDocument]:
    docs: dict[str, LegalDocument] = {}

    def doc_for(law: str) -> LegalDocument:
        law = clean_line(law)
        if law not in docs:
            docs[law] = LegalDocument(number="", doc_type=_doc_type(law), title=law,
                                      source_kind="benchmark", source_path=source_path)
        return docs[law]

    if isinstance(data, dict):
        for key, text in data.items():
            if "@" not in key or not isinstance(text, str):
                raise ReaderError(source_path, f"khoá {key!r} không theo dạng '<tên luật>@<số điều>'")
            law, number = key.rsplit("@", 1)
            doc_for(law).units.append(_article(number, text))
    elif isinstance(data, list):
        for entry in data:
            if not isinstance(entry, dict) or "law_id" not in entry or "articles" not in entry:
                raise ReaderError(source_path, "mỗi phần tử phải có 'law_id' và 'articles'")
            doc = doc_for(str(entry["law_id"]))
            for art in entry["articles"]:
                doc.units.append(_article(art["article_id"], art.get("text", "")))
    else:
        raise ReaderError(source_path, "JSON không phải dạng điều luật của ALQAC/Zalo")
    if not docs:
        raise ReaderError(source_path, "không có điều luật nào")
    return list(docs.values())


def looks_like_benchmark_json(data) -> bool:
    if isinstance(data, dict):
        return bool(data) and all("@" in k for k in list(data)[:5])
    if isinstance(data, list):
        return bool(data) and isinstance(data[0], dict) and "law_id" in data[0] and "articles" in data[0]
    return False


def read_benchmark_file(path: str) -> list[LegalDocument]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReaderError(path, f"JSON không hợp lệ ({exc})") from exc
    if not looks_like_benchmark_json(data):
        raise ReaderError(path, "JSON không phải dạng điều luật của ALQAC/Zalo ({'<luật>@<điều>': …} hoặc [{'law_id', 'articles'}])")
    return parse_benchmark_json(data, source_path=str(path))
