"""sessions: the web app's staff logins, shared by every `kb serve` process and host.

A login made through one process is known to the next (a load balancer may send each request to
another), and a logout, an expiry or an account change ends it everywhere (ui.auth.SessionStore with
shared sessions). k is the SHA-256 of the session's token (the token itself lives only in the
browser's HttpOnly cookie: a copy of this table opens no session); ended is "" while the session is
live, else why it ended (ui.auth.SESSION_ENDED), kept so its holder is told why.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("sessions"):
        return  # a registry whose alembic_version was lost (restored by hand): nothing to add
    op.create_table(
        "sessions",
        sa.Column("k", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("logged_in_at", sa.Float, nullable=False),
        sa.Column("credential", sa.Text, nullable=False),
        sa.Column("ended", sa.Text, nullable=False, server_default=""),
        sa.Column("ended_at", sa.Float, nullable=False, server_default="0"),
    )
    op.create_index("sessions_logged_in_at", "sessions", ["logged_in_at"])
