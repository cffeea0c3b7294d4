"""Alembic environment: the connection comes from mediashelf.db.engine.upgrade."""

from alembic import context

from mediashelf.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only from the alembic CLI, which we do not use
    raise SystemExit("run migrations with `mediashelf db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
