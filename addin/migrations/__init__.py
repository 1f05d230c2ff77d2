"""Alembic migrations of the store's schema (see ``addin.store.Store.create_all``)."""
