"""Rendering a Reply for WhatsApp: buttons, lists, pages, titles and bodies within Meta's limits.

Every rendered message is checked with the fake Graph API's own rules (what Meta refuses).
"""

from __future__ import annotations

import pytest

from channels.whatsapp.render import page_count, render, split_text
from channels.whatsapp.titles import ELLIPSIS, shorten, unique_titles
from dialogs.model import Choice, Reply
from tests.fakes.graph_api import check_message
from tests.whatsapp_user import choices_of


def rendered(reply: Reply, page: int = 0) -> list[dict]:
    messages = render(reply, page)
    for message in messages:
        assert check_message(message) is None, (check_message(message), message)
    return messages


def menu(n: int, label: str = "Choix", **kw) -> Reply:
    return Reply(parts=("Démarches par thème",), lang="fr",
                 choices=tuple(Choice(f"c{i}", f"{label} {i}") for i in range(1, n + 1)), **kw)


@pytest.mark.parametrize("label, limit, expected", [
    ("Démarches et coûts", 20, "Démarches et coûts"),
    ("Casier judiciaire (bulletin n°3)", 20, "Casier judiciaire"),
    ("Certificat d'Identification Personnelle", 24, "Certificat…"),
    ("Carte d'identité biométrique", 20, "Carte d'identité…"),
    ("Demande de certificat de nationalité", 20, "Demande…"),
    ("Légalisation de documents", 12, "Légalisation"),
    ("Personal Identification Certificate", 24, "Personal Identification…"),
])
def test_titles_are_shortened_at_word_boundaries(label, limit, expected):
    assert shorten(label, limit) == expected


def test_a_shortened_title_never_ends_mid_word_or_on_a_dangling_word():
    labels = ["Acte de naissance sécurisé et légalisé", "Légalisation de documents officiels",
              "Permis de construire une maison", "Création d'entreprise individuelle",
              "Voir le statut de la demande en cours"]
    for label in labels:
        for limit in (12, 16, 20, 24):
            title = shorten(label, limit)
            assert len(title) <= limit
            head = title.removesuffix(ELLIPSIS)
            assert label.startswith(head) and label[len(head)] in " ,", (label, title)
            assert title.endswith(ELLIPSIS) or len(title.split()) == 1
            assert head.split()[-1] not in ("de", "du", "et", "le", "la", "une", "d'")


def test_titles_shown_together_differ():
    titles = unique_titles(["Acte de naissance sécurisé", "Acte de naissance intégral",
                            "Acte de naissance"], 20)
    assert len({t.casefold() for t in titles}) == 3 and all(len(t) <= 20 for t in titles)


def test_up_to_three_choices_are_reply_buttons_with_a_menu_when_there_is_room():
    (two,) = rendered(menu(2))
    assert two["interactive"]["type"] == "button"
    assert [i for i, _ in choices_of(two)] == ["c1", "c2", "nav:home"]
    (three,) = rendered(menu(3))
    assert [i for i, _ in choices_of(three)] == ["c1", "c2", "c3"]
    (home,) = rendered(menu(2, navigable=False))
    assert [i for i, _ in choices_of(home)] == ["c1", "c2"]


def test_long_button_labels_are_shortened_and_unique():
    reply = Reply(parts=("Que voulez-vous faire ?",), lang="fr", choices=(
        Choice("a", "Recevoir la fiche complète par SMS"),
        Choice("b", "Recevoir la fiche complète par WhatsApp"),
        Choice("nav:home", "Menu principal")))
    (message,) = rendered(reply)
    titles = [t for _, t in choices_of(message)]
    assert len(set(titles)) == 3 and titles[2] == "Menu principal"  # no second "Menu"


def test_four_to_ten_choices_are_a_list_with_full_labels_in_descriptions():
    reply = menu(6, label="Certificat d'Identification Personnelle numéro")
    (message,) = rendered(reply)
    assert message["interactive"]["type"] == "list"
    section = message["interactive"]["action"]["sections"][0]
    assert section["title"] == "Démarches par thème"
    assert [r["id"] for r in section["rows"]][-1] == "nav:home"
    first = section["rows"][0]
    assert first["description"] == "Certificat d'Identification Personnelle numéro 1"
    assert len(first["title"]) <= 24
    (ten,) = rendered(menu(10))
    assert len(choices_of(ten)) == 10 and "nav:home" not in dict(choices_of(ten))


def test_more_than_ten_choices_are_pages_of_nine_and_a_more_row():
    reply = menu(21)
    assert page_count(reply) == 3
    seen = []
    for page in range(3):
        (message,) = rendered(reply, page)
        ids = [i for i, _ in choices_of(message)]
        if page < 2:
            assert len(ids) == 10 and ids[-1] == "wa:more"
        else:
            assert ids[-1] == "nav:home"
        seen += [i for i in ids if i.startswith("c")]
        if page:
            assert message["interactive"]["body"]["text"] == f"Démarches par thème ({page + 1}/3)"
    assert seen == [f"c{i}" for i in range(1, 22)]


def test_the_error_comes_first_and_an_ending_reply_is_plain_text():
    (message,) = rendered(menu(2).with_error("Choix invalide."))
    assert message["interactive"]["body"]["text"].startswith("Choix invalide.\n\n")
    (end,) = rendered(Reply(parts=("Au revoir et merci.",), lang="fr", end=True))
    assert end == {"type": "text", "text": {"body": "Au revoir et merci.",
                                            "preview_url": False}}


def test_an_empty_reply_sends_nothing():
    assert render(Reply(parts=(), lang="fr", expects="text", navigable=False)) == []


def test_real_letters_are_kept():
    (message,) = rendered(Reply(parts=("Ɖɔ gbè ɖé ǹ — Coût : 1\u202f900\u00a0F\u202fCFA",),
                                lang="fon", end=True))
    assert message["text"]["body"] == "Ɖɔ gbè ɖé ǹ — Coût : 1\u202f900\u00a0F\u202fCFA"


def test_long_bodies_are_split_at_paragraph_boundaries():
    paragraphs = [f"Paragraphe {i}" + " mot" * 60 for i in range(40)]  # ~10 000 characters
    messages = rendered(Reply(parts=tuple(paragraphs), lang="fr", end=True))
    assert len(messages) == 3
    bodies = [m["text"]["body"] for m in messages]
    assert all(body.split("\n")[0].startswith("Paragraphe") for body in bodies)
    assert "\n".join(bodies) == "\n".join(p for p in paragraphs)
    with_choices = rendered(Reply(parts=tuple(paragraphs[:8]), lang="fr",
                                  choices=(Choice("a", "Oui"),)))
    assert [m["type"] for m in with_choices] == ["text", "interactive"]
    assert len(with_choices[1]["interactive"]["body"]["text"]) <= 1024


def test_a_huge_word_is_cut_only_when_nothing_else_fits():
    assert split_text("a" * 5000, 4096) == ["a" * 4096, "a" * 904]
