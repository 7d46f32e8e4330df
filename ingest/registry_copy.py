"""Copy a registry whole into an empty one: the move from the SQLite file to PostgreSQL.

Every row of every table (documents, units, nodes, amendment relations, corrections, versions, the
embedding cache, usage, the generation), in ONE transaction on the target: it ends holding all of
it or nothing. The source is only read. A target that already holds documents or files is refused
(a copy never merges two bases). Failed logins are not copied (they are minutes old by nature).
"""
from __future__ import annotations

import sqlalchemy as sa

from core.errors import KbError
from ingest.registry import Registry

TABLES = ("sources", "documents", "units", "nodes", "dense_state", "embed_cache", "suppressed", "meta", "usage",
          "corrections", "amendments", "versions")
BATCH = 2000


def table_columns(reg: Registry, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(reg.db.engine).get_columns(table)]


def copy_registry(src: Registry, dst: Registry) -> dict[str, int]:
    """Rows copied per table. Raises KbError, changing nothing, when `dst` is not empty."""
    if dst.db.execute("SELECT 1 FROM sources LIMIT 1").fetchone() or dst.holds_nodes() or dst.keys():
        raise KbError(f"Registry đích {dst.db.label} đã có dữ liệu; chỉ sao chép vào một registry rỗng (tạo cơ sở dữ "
                      "liệu mới, hoặc xoá dữ liệu cũ nếu chắc chắn không cần), rồi chạy lại.")
    copied: dict[str, int] = {}
    with dst.transaction() as db:
        db.execute("DELETE FROM meta")  # a new registry's own bookkeeping: the source's replaces it
        for table in TABLES:
            cols = table_columns(dst, table)
            quoted = ", ".join(f'"{c}"' for c in cols)
            insert = f"INSERT INTO {table}({quoted}) VALUES({','.join('?' * len(cols))})"
            n, batch = 0, []
            for row in src.db.stream(f"SELECT {quoted} FROM {table}"):
                batch.append(row)
                if len(batch) >= BATCH:
                    db.executemany(insert, batch)
                    n, batch = n + len(batch), []
            db.executemany(insert, batch)
            copied[table] = n + len(batch)
    return copied
