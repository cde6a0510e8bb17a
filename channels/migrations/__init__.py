"""The one Alembic history of every table in Guichet's database (``python -m channels.migrate``,
``make db-upgrade``)."""
