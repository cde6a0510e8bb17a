"""Background halves of dialogs against the sandbox portal and a real SMS sender."""

from __future__ import annotations

import sqlalchemy as sa

from channels import migrate
from channels.outbox import MessageLog
from channels.sms.outbound import OutboxTransport, SmsSender
from dialogs import workflows
from dialogs.store import MemoryStore
from integrations.portal import PortalClient

NUMBER = "+2290197000001"


def _parts(sandbox, tmp_path):
    portal = PortalClient(sandbox["url"])
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine)
    messages = MessageLog(engine)
    return portal, SmsSender(messages, OutboxTransport()), messages


def test_refused_answers_are_explained_in_the_citizens_language(sandbox, tmp_path):
    portal, sender, messages = _parts(sandbox, tmp_path)
    reference = workflows.submit_request(
        portal, sender, MemoryStore(), user=NUMBER, lang="en", slug="casier-judiciaire",
        answers={"npi": "12"}, key="k1", final=False, track_code="*202#")
    assert reference is None
    (sms,) = messages.recent(NUMBER)
    assert sms.body.startswith("Your request could not be filed")
    assert "NPI (10 digits): invalid NPI" in sms.body and "missing" in sms.body
    assert "135" in sms.body


def test_a_filed_request_is_remembered_for_my_requests(sandbox, tmp_path):
    portal, sender, messages = _parts(sandbox, tmp_path)
    store = MemoryStore()
    answers = {"npi": "1234567890", "nom": "Kouassi", "prenoms": "Ama",
               "date_naissance": "1990-12-25", "lieu_naissance": "Cotonou", "motif": "emploi"}
    reference = workflows.submit_request(
        portal, sender, store, user=NUMBER, lang="fr", slug="casier-judiciaire",
        answers=answers, key="k2", final=False, track_code="*202#")
    assert reference and reference.startswith("SP-")
    (profile,) = store.get_many([f"gc:p:{NUMBER}"])
    assert profile["requests"][0]["reference"] == reference
    (sms,) = messages.recent(NUMBER)
    assert reference in sms.body and "1 900 F CFA" in sms.body and "*202#" in sms.body
