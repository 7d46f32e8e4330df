"""Alembic's entry point for the registry's migrations (run by ingest.registry_db.migrate).

The connection comes from the caller, already inside its serialised write transaction, so two
processes opening an old registry at once migrate it once; there is no alembic.ini and no URL here.
"""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():  # a no-op inside the caller's transaction
    context.run_migrations()
