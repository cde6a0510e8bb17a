"""Every USSD screen of the main journeys, in every language, fits a feature phone.

A citizen is walked through the language screen, the home menu, every category and procedure
sheet (every page), the criminal-record e-service form with valid and invalid answers, its
confirmation and end screen, tracking, "my requests", the agent and the language change, once
per language.  ``tests.ussd_phone.Phone`` checks each screen: ``CON``/``END``, at most 160
characters, GSM-7 only.  The longest screen per language is written to
``test-artifacts/ussd-languages.json``.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata

import pytest

from channels.config import LANGUAGES
from channels.gsm7 import to_gsm7
from dialogs.i18n import LANGUAGE_NAMES, gettext_for, money
from tests.conftest import artifacts_dir, wait_for
from tests.ussd_phone import Phone

KEYS = {lang: str(n) for n, lang in enumerate(LANGUAGES, 1)}
"""The language screen lists the configured languages in order (default fr, en, fon, yo)."""
REFERENCE = re.compile(r"SP-\d{4}-\d{6}")
_numbers = itertools.count(100)
LONGEST: dict[str, dict] = {}


class Recorder(Phone):
    """A phone that keeps every screen it was shown, and can read every page of one."""

    def __init__(self, client, lang: str) -> None:
        super().__init__(client, number=f"+2290197{next(_numbers):06d}")
        self.lang = lang
        self.seen: list[str] = []

    def _hop(self, code: str) -> str:
        screen = super()._hop(code)
        self.seen.append(screen)
        return screen

    def pages(self) -> list[str]:
        """This screen and every further page (``98``); :meth:`choose` goes back to a number."""
        pages = [self.screen]
        while not self.ended and re.search(r"^98 ", self.screen, re.M):
            pages.append(self.press("98"))
        return pages

    def choices(self) -> list[tuple[str, ...]]:
        """The keys reaching each choice from the list's first page: a long list is numbered
        from 1 on every page, so a choice is its page (``98`` presses) and its number."""
        keys = []
        for p, page in enumerate(self.pages()):
            keys += [("98",) * p + (m.group(1),) for m in re.finditer(r"^(\d{1,2}) ", page, re.M)
                     if m.group(1) not in ("0", "00", "98", "99")]
        return keys


def plain(text: str) -> str:
    """Without accents: the screens may keep GSM-7's é è à or drop every tone (Fon, Yoruba)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def shows(screen: str, lang: str, text: str, **fields) -> bool:
    """True when ``screen`` shows the catalogue text ``text`` as translated into ``lang``."""
    wanted = to_gsm7(gettext_for(lang)(text).format(**fields))
    return plain(wanted) in plain(screen)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_of_the_journey_fits_in_each_language(app, at_fake, lang):
    fake, _url = at_fake
    phone = Recorder(app.test_client(), lang)

    first = phone.dial()
    for code, number in KEYS.items():  # the language screen names each language in itself
        assert f"{number} {to_gsm7(LANGUAGE_NAMES[code])}" in first
    assert "98 " not in first
    home = phone.press(KEYS[lang])
    assert shows(home, lang, "Démarches et coûts") and shows(home, lang, "Langue / Language")
    assert "98 " not in home  # the main menu holds on one screen

    # catalogue: every category, every procedure, every page of every sheet
    phone.press("1")
    categories = phone.choices()
    assert len(categories) >= 7
    for category in categories:
        phone.dial()  # the language is remembered: straight to the home menu
        assert shows(phone.screen, lang, "Suivre une demande")
        phone.press("1", *category)
        for procedure in phone.choices():
            phone.dial()
            phone.press("1", *category, *procedure)
            assert shows("\n".join(phone.pages()), lang, "Recevoir par SMS")

    # the criminal-record e-service, with wrong answers on the way
    phone.dial()
    phone.press("2")
    assert shows(phone.screen, lang, "Demandes en ligne")
    phone.pages()
    phone.dial()
    phone.press("2", "1")  # casier-judiciaire comes first
    assert shows(phone.screen, lang, "Étape {n}/{total}", n=1, total=6)
    assert shows(phone.press("12345"), lang, "Le NPI a 10 chiffres.")
    for answer in ("1234567890", "Kouassi", "Ama", "32/13/1990", "25/12/1990", "Cotonou"):
        phone.press(answer)
    assert phone.choices()  # the purpose is a choice
    phone.choose("1")
    confirm = "\n".join(phone.pages())
    assert shows(confirm, lang, "Confirmer") and to_gsm7(money(1900, lang)) in confirm
    done = phone.choose("1")
    assert "SMS" in done and shows(done, lang, "Payer maintenant")
    # paying right away: operator, own number, amount, then the phone's own prompt
    assert "MTN MoMo" in phone.choose("1") and "Celtiis Cash" in phone.screen
    phone.choose("1")
    phone.choose("1")
    assert to_gsm7(money(1900, lang)) in "\n".join(phone.pages())
    phone.choose("1")
    assert phone.ended and shows(phone.screen, lang, "Guichet ne vous demande jamais ce code.")
    sms = wait_for(lambda: fake.messages_to(phone.number))
    reference = REFERENCE.search(sms[0]).group(0)

    # tracking: a malformed reference, an unknown one, then the real one and its SMS
    phone.dial()
    phone.press("3")
    assert shows(phone.press("12*34"), lang, "Référence invalide.")
    phone.press("2026999999")
    assert reference in phone.press(reference[3:].replace("-", ""))
    phone.pages()
    phone.choose("1")
    assert phone.ended

    # my requests
    phone.dial()
    phone.press("4")
    assert reference[3:] in "\n".join(phone.pages())
    phone.choose("1")
    phone.pages()

    # a dropped form resumes
    phone.dial()
    phone.press("2", "1", "1234567890")
    assert shows(phone.dial(), lang, "Reprendre votre demande ?")
    phone.press("2")  # no, the menu

    # the agent, following the first choice to the end of whatever the desk offers
    phone.dial()
    phone.press("5")
    for _ in range(6):
        if phone.ended:
            break
        choices = phone.choices()
        if choices:
            phone.choose(choices[0][-1])
        else:
            phone.press("0197000000")

    # the language, changed from the main menu
    phone.dial()
    assert shows(phone.press("6"), lang, "Choisissez votre langue")
    assert shows(phone.press(KEYS["fr"]), "fr", "Suivre une demande")

    assert all(len(screen) <= 160 for screen in phone.seen)
    longest = max(phone.seen, key=len)
    LONGEST[lang] = {"screens": len(phone.seen), "longest": len(longest), "screen": longest}
    path = artifacts_dir() / "ussd-languages.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, **LONGEST}, ensure_ascii=False, indent=1))


@pytest.mark.parametrize(("lang", "words", "sheet"), [
    ("fon", ["Azo kpo akwe kpo", "Kpon byobyo de", "Gbe / Langue"], "Wema hwe ton"),
    ("yo", ["Ilana ati owo", "Tele ibeere", "Ede / Langue"], "Iwe eri iwa rere"),
])
def test_fon_and_yoruba_menus_and_sheets_read_on_a_feature_phone(app, lang, words, sheet):
    phone = Recorder(app.test_client(), lang)
    phone.dial()
    home = plain(phone.press(KEYS[lang]))
    for word in words:
        assert word in home
    page = plain(phone.press("1", "1", "1"))  # the criminal record, from the portal in `lang`
    assert page.startswith(sheet) and to_gsm7(money(1900, lang)) in page
    assert plain(to_gsm7(gettext_for(lang)("(Texte disponible en français seulement)"))) \
        not in page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_junk_on_a_menu_is_explained_in_gsm7(app, lang):
    phone = Recorder(app.test_client(), lang)
    phone.dial()
    phone.press(KEYS[lang])
    assert shows(phone.press("abc"), lang, "Choix invalide. Tapez un numéro.")


@pytest.mark.parametrize(("text", "lang", "gsm"), [
    ("Kpɔ́n byɔbyɔ ɖé", "fon", "Kpon byobyo de"),
    ("Nɛ̌ mɛdógesiwéma ɖò?", "fon", "Ne medogesiwema do?"),
    ("Ɖɔ xó xá mɛ ɖé", "fon", "Do xo xa me de"),
    ("Ọ̀rọ̀ yìí wà ní èdè Faransé nìkan", "yo", "Oro yii wa ni ede Faranse nikan"),
    ("Ṣàtúnṣe", "yo", "Satunse"),
    ("Démarches et coûts", "fr", "Démarches et couts"),  # French keeps the é GSM-7 has
    ("Kpɔ́n byɔbyɔ ɖé", None, "Kpon byobyo dé"),
])
def test_per_language_transliteration_drops_every_tone_in_fon_and_yoruba(text, lang, gsm):
    assert to_gsm7(text, lang) == gsm
