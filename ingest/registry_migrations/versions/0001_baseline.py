"""The registry as it stood before migrations (a8d7b07): every table, created where missing.

A registry made by an earlier version already holds some or all of them, with its data: those are
kept as they are; only what is missing is added (amendments.confirmed_by, the versions table).
Relations stored before confirmed_by existed read "" (who confirmed them was not recorded then).

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

T, I, F = sa.Text, sa.BigInteger, sa.Float


def _tables() -> list[tuple[str, list, list]]:
    """(name, columns, indexes) of the baseline schema."""
    return [
        ("sources", [sa.Column("path", T, primary_key=True), sa.Column("sha256", T, nullable=False),
                     sa.Column("size", I), sa.Column("ingested_at", F), sa.Column("doc_keys", T)], []),
        ("documents", [sa.Column("key", T, primary_key=True)]
         + [sa.Column(c, T) for c in ("number", "doc_type", "title", "issuer", "issued_on", "effective_from",
                                      "status", "source_kind", "source_url", "data")]
         + [sa.Column("updated_at", F)], []),
        ("units", [sa.Column("doc_key", T, primary_key=True), sa.Column("ord", I),
                   sa.Column("kind", T, primary_key=True), sa.Column("number", T, primary_key=True),
                   sa.Column("source_path", T), sa.Column("data", T)], []),
        ("nodes", [sa.Column("node_id", T, primary_key=True), sa.Column("doc_key", T), sa.Column("source_path", T),
                   sa.Column("ord", I), sa.Column("text", T), sa.Column("embed_text", T), sa.Column("text_hash", T),
                   sa.Column("lex_tokens", T), sa.Column("meta", T)],
         [("nodes_doc", ["doc_key"]), ("nodes_src", ["source_path"])]),
        ("dense_state", [sa.Column("node_id", T, primary_key=True), sa.Column("text_hash", T)], []),
        ("embed_cache", [sa.Column("model", T, primary_key=True), sa.Column("text_hash", T, primary_key=True),
                         sa.Column("vec", sa.LargeBinary)], []),
        ("suppressed", [sa.Column("doc_key", T, primary_key=True), sa.Column("at", F)], []),
        ("meta", [sa.Column("k", T, primary_key=True), sa.Column("v", T)], []),
        ("usage", [sa.Column("doc_key", T, primary_key=True),
                   sa.Column("hits", sa.Integer, nullable=False, server_default="0"), sa.Column("last", F)], []),
        ("corrections", [sa.Column("doc_key", T, primary_key=True), sa.Column("data", T),
                         sa.Column("updated_at", F)], []),
        ("amendments", [sa.Column(c, T) for c in ("target_key", "article", "clause", "point", "origin_key",
                                                  "source_path")]
         + [sa.Column("ord", I), sa.Column("amending_key", T), sa.Column("data", T),
            sa.Column("confirmed_by", T, nullable=False, server_default="")],
         [("amendments_target", ["target_key", "article"]), ("amendments_origin", ["origin_key"]),
          ("amendments_src", ["source_path"])]),
        ("versions", [sa.Column("doc_key", T, primary_key=True), sa.Column("version", I, primary_key=True),
                      sa.Column("ingested_at", F), sa.Column("user", T), sa.Column("sha256", T),
                      sa.Column("source_name", T), sa.Column("source_path", T), sa.Column("size", I),
                      sa.Column("content_sha", T), sa.Column("data", T)], []),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    have = set(inspector.get_table_names())
    for name, columns, indexes in _tables():
        if name not in have:
            op.create_table(name, *columns)
            have_indexes: set[str] = set()
        else:
            have_indexes = {i["name"] for i in inspector.get_indexes(name)}
        for index, cols in indexes:
            if index not in have_indexes:
                op.create_index(index, name, cols)
    if "amendments" in have and "confirmed_by" not in {c["name"] for c in inspector.get_columns("amendments")}:
        op.add_column("amendments", sa.Column("confirmed_by", T, nullable=False, server_default=""))
