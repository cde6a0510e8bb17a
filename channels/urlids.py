"""Ids in URLs (``/agent/c/<int:conv_id>``) are database row ids, bounded like the column.

Werkzeug's ``int`` converter takes any run of digits, so ``/agent/c/99999999999999999999`` reached
the database and failed there with a 500 (SQLite: "Python int too large", PostgreSQL: integer out
of range).  Installed as the app's ``int`` converter, this one answers 404 for an id no row can
have: above 2**31 - 1, PostgreSQL's ``integer``, the type of our id columns.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``int`` in a rule, with ``max`` defaulting to :data:`MAX_ROW_ID`."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ROW_ID if max is None else max, signed=signed)


def install(app: Flask) -> None:
    """Use before the blueprints are registered: a rule picks its converter when added."""
    app.url_map.converters["int"] = RowIdConverter
