"""Alembic migrations of the web app's state (run by ``StateStore.migrate`` at start)."""
