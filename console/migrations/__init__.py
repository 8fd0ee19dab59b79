"""Alembic environment and revisions of the console schema (run via :mod:`console.migrate`)."""
