"""Alembic migrations of the registry schema (run by `acc registry init` and `acc registry migrate`)."""
