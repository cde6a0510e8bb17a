"""USSD rendering and GSM-7: what a feature phone can show and what an SMS costs."""

from __future__ import annotations

from channels.gsm7 import is_gsm7, segments, to_gsm7
from channels.ussd.hops import new_input, shortcut
from channels.ussd.screens import render
from dialogs.model import Choice, Reply


def test_transliteration_keeps_text_readable():
    assert to_gsm7("Coût : 1\u202f900\u00a0F\u202fCFA") == "Cout : 1 900 F CFA"
    assert to_gsm7("Mɛdógesiwéma ɖò") == "Medogesiwéma dò"
    assert to_gsm7("ẹ ọ ṣ Ẹ́") == "e o s E"
    assert to_gsm7("« Prêt » – l’État") == '" Pret " - l\'État'
    assert is_gsm7(to_gsm7("emoji 😀 ça ê œ ɔ [x] €"))


def test_segments_count_like_the_network():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("a" * 306) == 2 and segments("a" * 307) == 3
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension chars count twice
    assert segments("ɛ" * 70) == 1 and segments("ɛ" * 71) == 2


def test_long_reply_is_paged_with_choices_never_split():
    reply = Reply(parts=("Ligne " * 60,), lang="fr",
                  choices=tuple(Choice(f"c{i}", f"Option numéro {i}") for i in range(12)))
    screens = render(reply, 160)
    assert len(screens.pages) > 2
    for page in screens.pages[:-1]:
        assert len(page) <= 160 and page.endswith("98 Suite")
    assert screens.pages[-1].endswith("0 Retour 00 Accueil")
    # numbered again from 1 on each page: a number never meets 98/99/0/00
    picked = [choice for numbers in screens.page_numbers for choice in numbers.values()]
    assert picked == [f"c{i}" for i in range(12)]
    for page, numbers in zip(screens.pages, screens.page_numbers, strict=True):
        assert list(numbers) == [str(n) for n in range(1, len(numbers) + 1)]
        for key, choice in numbers.items():
            assert f"\n{key} Option numéro {choice[1:]}" in "\n" + page


def test_end_screen_has_no_navigation():
    screens = render(Reply(parts=("Merci.",), lang="fr", end=True), 160)
    assert screens.pages == ["Merci."] and screens.end


def test_only_new_input_is_read():
    assert new_input("1*2*3", "1*2") == "3"
    assert new_input("1*2*A*B", "1*2") == "A*B"
    assert new_input("5", "1*2") == "5"  # a gateway that sends only the latest input
    assert new_input("1", "") == "1"


def test_shortcut_digits_from_the_service_code():
    assert shortcut("*202*3#", "*202#") == ["3"]
    assert shortcut("*202*1*4#", "*202#") == ["1", "4"]
    assert shortcut("*202#", "*202#") == []
    assert shortcut("*303*1#", "*202#") == []
