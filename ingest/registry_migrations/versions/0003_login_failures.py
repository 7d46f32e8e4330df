"""login_failures: failed logins of the web app, one row per failure and counted key.

In the registry so that every `kb serve` process, on this host or another, counts against one budget
of guesses (ui.auth.Authenticator with shared failures): N processes no longer allow N× the guesses.
k is ("pair", client, user) or ("client", client) joined by U+001F; at is the time of the failure.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("login_failures"):
        return  # a registry whose alembic_version was lost (restored by hand): nothing to add
    op.create_table("login_failures", sa.Column("k", sa.Text, nullable=False), sa.Column("at", sa.Float, nullable=False))
    op.create_index("login_failures_k", "login_failures", ["k", "at"])
    op.create_index("login_failures_at", "login_failures", ["at"])
