"""Normalisation: one spelling for the many ways Fon, Yoruba and SMS French are typed."""

import unicodedata

from nlu.normalize import align_ascii, canonical, classifier_text, expand_sms, strip_diacritics


def test_fon_letter_variants_become_one_form():
    # Greek epsilon, eth, d with stroke, breve for caron, decomposed accents
    assert canonical("a fͻn à ε ð đ ă") == "a fɔn à ɛ ɖ ɖ ǎ"
    decomposed = unicodedata.normalize("NFD", "wémá")
    assert canonical(decomposed) == "wémá"
    assert canonical("e\u0329") == "ẹ"  # vertical line below typed for the Yoruba dot below


def test_diacritic_free_copy():
    assert strip_diacritics("Mɛdógesiwéma ÌWÉ Ìrìnnà ɖ Œuvre") == "medogesiwema iwe irinna d oeuvre"
    assert strip_diacritics("Ẹ kú àárọ̀") == "e ku aaro"


def test_aligned_copy_maps_back_to_original_offsets():
    original = "Mo fe\u0301 gba i\u0300we\u0301"  # decomposed accents: longer than the copy
    aligned = align_ascii(original)
    assert aligned.text == "mo fe gba iwe"
    start = aligned.text.index("iwe")
    o_start, o_end = aligned.span(start, start + 3)
    assert original[o_start:o_end] == "i\u0300we\u0301"


def test_sms_abbreviations_are_expanded():
    assert expand_sms("kmt avoir mon cazier stp") == "comment avoir mon cazier s il te plait"
    assert expand_sms("jvx savoir cb pr le cip qd") == "je veux savoir combien pour le cip quand"
    assert expand_sms("bjr slt svp") == "bonjour salut s il vous plait"


def test_classifier_text_keeps_question_mark_only():
    assert classifier_text("Combien ÇA coûte ?!") == "combien ca coute ?"
