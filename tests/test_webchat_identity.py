"""Whose number is it?  A web visitor proves a phone number with a code sent to it by SMS
before anything personal: drafts, "my requests", e-services.  Played as a browser on the web
chat API, a feature phone on USSD, Africa's Talking (a loopback fake) and the sandbox portal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import ADMIN_KEY, wait_for
from tests.test_webchat import Visitor, ids, plain
from tests.ussd_phone import Phone

OWNER = "+2290197000311"
"""A citizen who uses USSD: a request filed, a form half-filled."""
STRANGER = "+2290197000499"
"""A number with no history here."""
NPI = "1234567890"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def guichet(make_app, at_fake):
    fake, url = at_fake
    return make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)


def file_request(sandbox, phone: str, nom: str = "KOUASSI") -> str:
    """A request filed at the portal from ``phone`` (the portal's own API)."""
    response = requests.post(
        f"{sandbox['url']}/api/v1/eservices/casier-judiciaire/requests",
        json={"phone": phone, "lang": "fr", "answers": {
            "npi": NPI, "nom": nom, "prenoms": "Ama", "date_naissance": "25/12/1990",
            "lieu_naissance": "Cotonou", "motif": "emploi"}},
        headers={"Idempotency-Key": f"test-{phone}-{nom}"}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["reference"]


def half_fill_on_ussd(app, number: str) -> None:
    """The owner starts the criminal-record form on USSD, types NPI and name, and hangs up."""
    phone = Phone(app.test_client(), number=number)
    phone.dial()
    phone.press("1")  # French
    screen = phone.press("2")  # Faire une demande
    pick = next(line.split()[0] for line in screen.split("\n") if "Casier" in line)
    assert "NPI" in phone.press(pick)
    phone.press(NPI)
    assert phone.press("KOUASSI").startswith("Étape 3/6: Prénoms")


def code_sent(fake, number: str, before: int = 0) -> str:
    """The newest one-time code Africa's Talking delivered to ``number``."""
    messages = wait_for(lambda: fake.messages_to(number)[before:])
    found = CODE.search(messages[-1])
    assert found, messages[-1]
    return found.group(1)


def prove(visitor: Visitor, fake, number: str, **entry) -> dict:
    """Ask for something personal, give the number, type the code that came by SMS."""
    asked = visitor.send(**(entry or {"start": "my_requests"}), lang="fr")
    assert asked["expects"] == "text" and "numéro" in plain(asked["parts"])
    before = len(fake.messages_to(number))
    sent = visitor.send(text=number)
    assert "Code reçu par SMS" in plain(sent["parts"]), sent
    return visitor.send(text=code_sent(fake, number, before))


def test_a_number_typed_on_the_web_opens_nothing_of_its_owner(guichet, sandbox, at_fake):
    fake, _url = at_fake
    reference = file_request(sandbox, OWNER)
    half_fill_on_ussd(guichet, OWNER)
    client = guichet.test_client()

    intruder = Visitor(client, phone=OWNER)  # what the widget's page could always send
    first = intruder.send(start="home", lang="fr")
    assert "resume" not in str(first) and "Reprendre" not in plain(first["parts"])
    mine = intruder.send(choice="my_requests")
    assert "Votre numéro de téléphone" in plain(mine["parts"])
    assert reference not in str(mine)
    again = Visitor(client, phone=OWNER)
    resumed = again.send(choice="yes", lang="fr")  # the resume offer, blindly
    assert "KOUASSI" not in str(resumed) and NPI not in str(resumed)
    started = again.send(start="eservices", lang="fr")
    assert "Votre numéro de téléphone" in plain(started["parts"])
    for visitor in (intruder, again):
        history = str(visitor.history())
        assert reference not in history and "KOUASSI" not in history and NPI not in history

    # the owner proves the number on the web: the requests and the draft are theirs
    owner = Visitor(client)
    listed = prove(owner, fake, OWNER)
    assert "Numéro confirmé" in plain(listed["parts"])
    assert any(reference[3:] in c["label"] for c in listed["choices"])
    other_tab = Visitor(client)
    offer = prove(other_tab, fake, OWNER, start="eservices")
    assert "Reprendre votre demande" in plain(offer["parts"])
    resumed = other_tab.send(choice="yes")
    assert "3/6" in plain(resumed["parts"]) and "Prénoms" in plain(resumed["parts"])


def test_a_proven_visitor_files_an_e_service_that_reaches_the_portal(guichet, sandbox,
                                                                     at_fake):
    fake, _url = at_fake
    visitor = Visitor(guichet.test_client())
    sheet = visitor.send(start="procedures", lang="fr")
    visitor.send(choice="cat:justice")
    sheet = visitor.send(choice="proc:casier-judiciaire")
    assert "sms" not in ids(sheet)  # nobody proven: nothing is sent to a typed number
    form = prove(visitor, fake, STRANGER, choice="apply")
    assert "Numéro confirmé" in plain(form["parts"]) and "1/6" in plain(form["parts"])
    for answer in (NPI, "Kouassi", "Ama", "25/12/1990", "Cotonou"):
        reply = visitor.send(text=answer)
    reply = visitor.send(choice=reply["choices"][0]["id"])
    assert "Vérifiez" in plain(reply["parts"])
    done = visitor.send(choice="confirm")
    assert "SMS" in plain(done["parts"])
    assert "pay" in [c["id"] for c in done["choices"]]  # pay now: a button

    receipt = wait_for(lambda: [m for m in fake.messages_to(STRANGER) if "SP-" in m])
    reference = re.search(r"SP-\d{4}-\d{6}", receipt[0]).group(0)
    filed = requests.get(f"{sandbox['url']}/api/v1/requests", params={"phone": STRANGER},
                         timeout=5).json()["requests"]
    assert [r["reference"] for r in filed] == [reference]
    shown = wait_for(lambda: [e for e in visitor.history()["entries"] if e.get("live")])
    assert reference in shown[-1]["reply"]["parts"][0]  # in the chat too
    # and now "send it by SMS" goes to the proven number
    visitor.send(start="procedures")
    visitor.send(choice="cat:justice")
    assert "sms" in ids(visitor.send(choice="proc:casier-judiciaire"))


def test_wrong_codes_burn_the_code_and_a_new_one_is_needed(guichet, at_fake):
    fake, _url = at_fake
    visitor = Visitor(guichet.test_client())
    visitor.send(start="my_requests", lang="fr")
    visitor.send(text=STRANGER)
    code = code_sent(fake, STRANGER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        reply = visitor.send(text=wrong)
        assert reply["error"] == f"Code incorrect. Essais restants : {left}."
    assert "Trop d'essais" in visitor.send(text=wrong)["error"]
    late = visitor.send(text=code)  # the right code, too late
    assert late["error"] and "Numéro confirmé" not in plain(late["parts"])
    sent = len(fake.messages_to(STRANGER))
    visitor.send(choice="resend")
    fresh = code_sent(fake, STRANGER, sent)
    assert "Numéro confirmé" in plain(visitor.send(text=fresh)["parts"])


def test_a_code_expires(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   WEBCHAT_CODE_TTL="1")
    visitor = Visitor(app.test_client())
    visitor.send(start="my_requests", lang="fr")
    visitor.send(text=STRANGER)
    code = code_sent(fake, STRANGER)
    time.sleep(1.3)
    reply = visitor.send(text=code)
    assert "Code expiré" in reply["error"] and "Numéro confirmé" not in plain(reply["parts"])


def test_codes_are_rate_limited_per_number_and_per_client_across_workers(make_app, redis_url):
    env = {"REDIS_URL": redis_url, "WEBCHAT_CODES_PER_NUMBER": "2",
           "WEBCHAT_CODES_PER_CLIENT": "4"}
    workers = [make_app(**env).test_client(), make_app(**env).test_client()]

    def ask(worker: int, number: str, address: str = "10.0.0.1") -> dict:
        client = workers[worker]
        client.environ_base["REMOTE_ADDR"] = address
        visitor = Visitor(client)
        visitor.send(start="my_requests", lang="fr")
        return visitor.send(text=number)

    assert "Code reçu" in plain(ask(0, OWNER)["parts"])
    assert "Code reçu" in plain(ask(1, OWNER)["parts"])
    limited = ask(0, OWNER)  # a third code for the same number within 15 minutes
    assert "Trop de codes" in limited["error"] and "Code reçu" not in plain(limited["parts"])
    assert "Trop de codes" in ask(1, OWNER, "10.0.0.9")["error"]  # from anywhere
    assert "Code reçu" in plain(ask(1, STRANGER)["parts"])  # client's 4th: still fine
    assert "Trop de codes" in ask(0, "+2290197000512")["error"]  # client's 5th
    assert "Code reçu" in plain(ask(0, "+2290197000512", "10.0.0.2")["parts"])


def test_the_number_step_answers_the_same_for_known_and_unknown_numbers(guichet, sandbox,
                                                                        at_fake):
    fake, _url = at_fake
    file_request(sandbox, OWNER)
    half_fill_on_ussd(guichet, OWNER)
    client = guichet.test_client()
    answers = []
    for number in (OWNER, STRANGER):
        visitor = Visitor(client)
        visitor.send(start="my_requests", lang="fr")
        response = client.post(f"/webchat/sessions/{visitor.id}/messages",
                               json={"text": number},
                               headers={"Authorization": f"Bearer {visitor.token}"})
        body = response.get_json()
        body.pop("id")
        wrong = visitor.send(text="000000" if code_sent(fake, number) != "000000" else "111111")
        answers.append((response.status_code, str(body).replace(number, "N"), wrong["error"]))
    assert answers[0] == answers[1]


def test_tracking_someone_elses_reference_shows_the_status_only(guichet, sandbox):
    reference = file_request(sandbox, OWNER)
    note = f"Refusé : le NPI {NPI} ne correspond pas à KOUASSI Ama."
    moved = requests.post(f"{sandbox['url']}/api/v1/admin/requests/{reference}/status",
                          json={"status": "rejected", "note": note},
                          headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    assert moved.status_code == 200
    client = guichet.test_client()

    def track_on_ussd(number: str) -> str:
        """Every page of the status screen, as the caller reads them with 98."""
        phone = Phone(client, number=number, max_len=182)
        phone.dial()
        phone.press("1", "3")
        pages = [phone.press(reference[3:].replace("-", ""))]
        while "\n98 " in "\n" + pages[-1] and len(pages) < 6:  # the whole status, every page
            pages.append(phone.press("98"))
        return "\n".join(pages)

    other = track_on_ussd(STRANGER)
    assert reference in other and "Statut : refusée" in other
    assert "KOUASSI" not in other and NPI not in other
    web = Visitor(client)
    web.send(start="track", lang="fr")
    shown = plain(web.send(text=reference)["parts"])
    assert reference in shown and "refusée" in shown
    assert "KOUASSI" not in shown and NPI not in shown
    own = track_on_ussd(OWNER)  # the number that filed it gets the reason
    assert "KOUASSI" in own


def test_a_number_proven_in_one_worker_holds_in_the_others(make_app, redis_url, sandbox,
                                                          at_fake, tmp_path):
    """With Redis: the code goes out through a real RQ worker, and the session is the number's
    in every web process."""
    fake, url = at_fake
    reference = file_request(sandbox, OWNER)
    env = {"REDIS_URL": redis_url, "PORTAL_URL": sandbox["url"],
           "DATABASE_URL": f"sqlite:///{tmp_path / 'guichet.db'}",
           "AT_USERNAME": fake.username, "AT_API_KEY": fake.api_key, "AT_API_URL": url}
    first, second = make_app(**env).test_client(), make_app(**env).test_client()
    visitor = Visitor(first)
    visitor.send(start="my_requests", lang="fr")
    assert "Code reçu" in plain(visitor.send(text=OWNER)["parts"])
    done = subprocess.run([sys.executable, "-m", "channels.worker", "--burst", "--url",
                           redis_url], env=dict(os.environ, **env), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    visitor.client = second  # the next request lands on another worker
    listed = visitor.send(text=code_sent(fake, OWNER))
    assert any(reference[3:] in c["label"] for c in listed["choices"])
    visitor.client = first
    assert any(reference[3:] in c["label"] for c in visitor.send(start="my_requests")["choices"])


def test_behind_a_trusted_proxy_codes_are_counted_per_visitor_not_per_proxy(make_app):
    def ask(client, number: str, forwarded: str) -> dict:
        client.environ_base["REMOTE_ADDR"] = "10.9.0.1"  # the proxy
        visitor = Visitor(client)
        visitor.client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
        visitor.send(start="my_requests", lang="fr")
        return visitor.send(text=number)

    proxied = make_app(TRUSTED_PROXY_HOPS="1", WEBCHAT_CODES_PER_CLIENT="1").test_client()
    assert "Code reçu" in plain(ask(proxied, OWNER, "203.0.113.5")["parts"])
    assert "Trop de codes" in ask(proxied, STRANGER, "203.0.113.5")["error"]
    assert "Code reçu" in plain(ask(proxied, STRANGER, "203.0.113.6")["parts"])
    # without the setting the header is anybody's to write: it changes nothing
    direct = make_app(WEBCHAT_CODES_PER_CLIENT="1").test_client()
    assert "Code reçu" in plain(ask(direct, OWNER, "203.0.113.5")["parts"])
    assert "Trop de codes" in ask(direct, STRANGER, "203.0.113.6")["error"]
