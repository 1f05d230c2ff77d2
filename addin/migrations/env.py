"""Alembic's entry point. The store calls it with an open connection
(``config.attributes["connection"]``); with none, it connects to ``sqlalchemy.url``, or
writes SQL for a database administrator to review in offline mode (``alembic upgrade --sql``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from addin.schema import metadata

config = context.config


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _migrate(given)
else:
    with create_engine(str(config.get_main_option("sqlalchemy.url"))).begin() as connection:
        _migrate(connection)
