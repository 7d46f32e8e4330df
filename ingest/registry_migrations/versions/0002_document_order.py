"""documents.seq: the order documents were last stored in, for `kb docs` and the staff list.

SQLite gave it by rowid (a replaced row got a new one); PostgreSQL has no rowid, so the order is a
column both keep. An existing SQLite registry takes its rowids, so its list reads as before.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "seq" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("documents")}:
        return  # a registry whose alembic_version was lost (restored by hand): nothing to add
    op.add_column("documents", sa.Column("seq", sa.BigInteger))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE documents SET seq = rowid")
