"""WhatsApp over a national catalogue: lists page back as well as forward, and typed text on a
list searches the catalogue, while a question still goes to the NLU."""

from __future__ import annotations

import pytest

from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from integrations.portal.sandbox.synthetic import write
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.serving import serve
from tests.whatsapp_user import APP_SECRET, VERIFY_TOKEN, WhatsAppUser, body_of, choices_of, plain


@pytest.fixture
def graph():
    fake = FakeGraphApi()
    url, server = serve(fake.app())
    fake.url = url + "/v21.0"
    yield fake
    server.shutdown()
    assert fake.rejected == [], "Guichet sent a request Meta would refuse"


def _app(make_app, graph, portal_url: str | None = None):
    env = {"WHATSAPP_TOKEN": graph.token, "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
           "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
           "WHATSAPP_API_URL": graph.url}
    if portal_url:
        env["PORTAL_URL"] = portal_url
    return make_app(**env)


@pytest.fixture
def national_user(make_app, graph, tmp_path):
    path = write(tmp_path / "catalogue.yaml", 150, 40)
    portal = create_sandbox_app(db_path=str(tmp_path / "portal.db"), catalogue_path=path)
    url, server = serve_in_thread(portal)
    yield WhatsAppUser(_app(make_app, graph, url), graph, wa_id="2290197000071")
    stop_server(server)


def _ids(message: dict) -> list[str]:
    return [i for i, _title in choices_of(message)]


def test_a_long_list_pages_forward_and_back(national_user):
    user = national_user
    user.say("bonjour")
    (themes,) = user.tap("procedures")
    first = _ids(themes)
    assert len(first) == 10 and first[0] == "search" and first[-1] == "wa:more"
    (second,) = user.tap("wa:more")
    rows = _ids(second)
    assert rows[0] == "wa:prev" and "(2/2)" in body_of(second)
    assert not set(rows) & set(first[:-1])  # the next themes, none shown twice
    (again,) = user.tap("wa:prev")
    assert _ids(again) == first  # the first page, as it was
    (theme,) = user.tap(rows[1])  # a theme picked on the second page opens
    assert any(i.startswith("proc:") for i in _ids(theme))


def test_typed_text_on_a_list_searches_the_catalogue(national_user):
    user = national_user
    user.say("bonjour")
    user.tap("procedures")
    (found,) = user.say("Permis de CONDUIRE")  # case and accents do not matter
    rows = choices_of(found)
    picked = [i for i, _title in rows if i.startswith("proc:")]
    assert picked and all("permis-de-conduire" in i for i in picked), rows
    assert "Tapez plus de lettres" in plain(body_of(found)) or "Résultats" in body_of(found)
    (sheet,) = user.tap(next(i for i, _t in rows if i.startswith("proc:")))
    assert "Coût" in plain(body_of(sheet))
    user.tap("nav:home")
    user.tap("procedures")
    (cip,) = user.say("cip")  # an abbreviation: the one procedure, its sheet at once
    assert "Certificat d'identification personnelle" in body_of(cip)


def test_a_question_on_a_list_still_goes_to_the_nlu(make_app, graph):
    user = WhatsAppUser(_app(make_app, graph), graph, wa_id="2290197000072")
    user.say("bonjour")
    user.tap("procedures")
    (sheet,) = user.say("combien coûte le passeport ?")
    assert "30" in plain(body_of(sheet)) and "asseport" in body_of(sheet)
    user.tap("nav:home")
    user.tap("procedures")
    (casier,) = user.say("casier")  # a name: the search finds the one procedure
    assert "Casier judiciaire" in body_of(casier) and "1 900" in plain(body_of(casier))


def test_every_page_of_a_long_list_holds_ten_rows_at_most_and_each_choice_once():
    from channels.whatsapp.render import page_count, render
    from dialogs.model import Choice, Reply

    for n in (11, 19, 30, 150):
        reply = Reply(parts=("Démarches",), lang="fr",
                      choices=tuple(Choice(f"c{i}", f"Démarche {i}") for i in range(n)))
        seen = []
        for page in range(page_count(reply)):
            (message,) = render(reply, page)
            ids = _ids(message)
            assert len(ids) <= 10
            assert (ids[0] == "wa:prev") == (page > 0)
            assert (ids[-1] == "wa:more") == (page + 1 < page_count(reply))
            seen += [i for i in ids if i.startswith("c")]
        assert seen == [f"c{i}" for i in range(n)]
    assert page_count(Reply(parts=("x",), lang="fr", choices=tuple(
        Choice(f"c{i}", "x") for i in range(150)))) == 19  # 9, then 8 a page, then the rest
