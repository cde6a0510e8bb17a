"""The terminal simulator dials a real server over HTTP, the way `make ussd` does."""

from __future__ import annotations

from channels.ussd.terminal import Session, draw, main
from tests.conftest import serve


def test_terminal_session_talks_to_a_served_app(app, monkeypatch, capsys):
    url, server = serve(app)
    try:
        session = Session(url, "+2290197000009", "*202#")
        screen, ended = session.dial()
        assert "English" in screen and not ended
        screen, ended = session.send("2")
        assert "Track a request" in screen
        assert "| Benin Public Service" in draw(screen, ended)

        keys = iter(["1", "5", "/quit"])
        monkeypatch.setattr("builtins.input", lambda _prompt: next(keys))
        assert main(["--url", url, "--phone", "+2290197000010"]) == 0
        out = capsys.readouterr().out
        assert "135" in out and "rappeler" in out  # French, then "talk to an agent"
    finally:
        server.shutdown()


def test_terminal_explains_when_the_service_is_not_running(capsys):
    assert main(["--url", "http://127.0.0.1:9"]) == 1
    assert "make run" in capsys.readouterr().err
