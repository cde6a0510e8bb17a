"""Personal data never reaches a log line in clear: not in a traceback, not in SQL parameters.

Reproduces what was seen: an error while recording an exchange logged the phone, the NPI and
the name of the citizen in clear through the exception's text and its SQL parameters.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
import sqlalchemy as sa

from channels.logs import json_handler
from channels.outbox import engine_for

PHONE, NPI, NAME = "+22901970000123", "1234567890", "Houngbédji"


@pytest.fixture
def lines():
    stream = io.StringIO()
    logger = logging.getLogger("tests.privacy")
    handler = json_handler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _written(stream: io.StringIO) -> str:
    text = stream.getvalue()
    for line in text.splitlines():
        json.loads(line)  # still one JSON object a line
    return text


def test_traceback_of_an_exception_carrying_a_form_is_masked(lines):
    logger, stream = lines
    form = {"npi": NPI, "nom": NAME, "prenoms": "Afiavi Reine", "telephone": PHONE}
    try:
        raise ValueError(f"portal refused the form {form!r} for phone={PHONE}")
    except ValueError:
        logger.exception("could not file the request")
    text = _written(stream)
    assert "could not file the request" in text and "ValueError" in text  # still useful
    assert "Traceback" in text
    for secret in (NPI, PHONE, NAME, "Afiavi", "970000"):
        assert secret not in text, secret


def test_structured_extras_and_stack_info_are_masked(lines):
    logger, stream = lines
    logger.warning("hand-off", extra={"citizen": {"phone": PHONE, "name": NAME},
                                      "numbers": [PHONE, NPI]}, stack_info=True)
    text = _written(stream)
    assert PHONE not in text and NPI not in text and NAME not in text
    assert "citizen" in text and "stack_info" in text


def test_a_failed_sql_statement_never_logs_its_parameters(lines, tmp_path, postgres_url):
    logger, stream = lines
    for url in (f"sqlite:///{tmp_path / 'p.db'}", postgres_url):
        engine = engine_for(url)
        table = sa.Table("exchanges", sa.MetaData(),
                         sa.Column("phone", sa.String, primary_key=True),
                         sa.Column("text", sa.String))
        table.metadata.create_all(engine)
        row = {"phone": PHONE, "text": f"Je suis {NAME}, NPI {NPI}"}
        with engine.begin() as db:
            db.execute(table.insert().values(**row))
        try:
            with engine.begin() as db:
                db.execute(table.insert().values(**row))  # duplicate key
        except sa.exc.IntegrityError as exc:
            assert NAME not in str(exc)
            logger.exception("could not record an exchange")
        engine.dispose()
    text = _written(stream)
    assert text.count("could not record an exchange") == 2
    assert "IntegrityError" in text
    for secret in (NAME, NPI, PHONE, "970000"):
        assert secret not in text, secret
