"""Alembic migrations of the call-centre records (``python -m channels.agent.migrate``)."""
