"""Entity extraction for the embedded model: procedure, aspect, reference, npi, language.

Rules rather than a learned tagger: the values are a closed catalogue (fuzzy lexicon matching),
a handful of question words (aspect keywords) and fixed formats (regexes). Rules are fast, need
little data, and do not forget a procedure that the training data mentions rarely. Every span is
given in the original text, whatever the folding the matching needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from nlu.lexicon import Lexicon
from nlu.matcher import PhraseMatcher
from nlu.normalize import AlignedText, align_ascii, fold, strip_diacritics


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int | None
    end: int | None
    confidence: float

    def as_dict(self) -> dict:
        """The contract's entity shape (no start/end when the entity was inferred)."""
        d: dict = {"entity": self.entity, "value": self.value}
        if self.start is not None:
            d["start"], d["end"] = self.start, self.end
        d["confidence"] = self.confidence
        return d


# A portal reference SP-YYYY-NNNNNN as people type it: "sp 2026 000123", "SP2026000123",
# "Sp-2026-123", or without the prefix "2026-000123" (a separator is then required, since ten
# bare digits are an NPI).
_REFERENCE = re.compile(
    r"(?<![a-z0-9])(?:sp\s*[-/._]?\s*(?P<y1>20\d\d)\s*[-/._]?\s*(?P<n1>\d{1,6})"
    r"|(?P<y2>20\d\d)\s*[-/._]\s*(?P<n2>\d{6}))(?![0-9])"
)
# An NPI: ten digits standing alone (not part of a longer number such as +229 0197...).
_NPI = re.compile(r"(?<![0-9+])(\d{10})(?![0-9])")

# Aspect keywords on folded ASCII text (SMS spellings included: the text is not expanded here,
# so that spans stay exact). "How long" words mean validity when a validity word is present and
# delay otherwise; "combien" alone asks a cost, "combien de jours" a duration.
_HOW_MUCH = r"(?:combien|cb|cbn|cmb|kmb|kbien|cbien|konbien|kombien|combin)"
_TIME = r"(?:temps|tps|jours?|jrs?|mois|semaines?|heures?|h|ans|annees?|dannees?|djours?)"
_DURATION = (
    rf"{_HOW_MUCH}\W+(?:de\W+|d\W*)?{_TIME}|(?:dure|durer|prend|prendre)\W+{_HOW_MUCH}"
    r"|how long|how many (?:days|weeks|months|years)|how much time"
)
_ASPECTS: dict[str, str] = {
    "validity": (
        r"validite|valable|valables|valide|valid|validity|expire\w*|expiration|expiry|perime"
        r"|(?:does it|will it|it) last|lasts|wulo"
    ),
    "cost": (
        rf"{_HOW_MUCH}(?!\W+(?:de\W+|d\W*)?{_TIME}(?![a-z]))"
        r"|prix|pri|px|tarifs?|couts?|coute|coutent|couter|kout|koute"
        r"|frais|montant|payer|paye|paie|paiement|argent|fcfa|cfa|francs?"
        r"|how much(?! time)|hw much|hw mch|how mch"
        r"|cost|costs|costing|price|prices|fee|fees|charges?|pay|payment"
        r"|payan|payants?|payantes?|gratuite?s?|gratui|gratuitement|free|paid|charged?"
        r"|nabi|akwe|elo|owo"
    ),
    "documents": (
        r"(?<!\bun )(?<!\bune )(?<!\ba )(?<!\ban )(?:pieces?|documents?|docs?|papiers?|papie)"
        r"|fournir|requis"
        r"|conditions?|exigee?s?|necessaires?|justificatifs?|apporter|amener|constituer"
        r"|faut quoi|que faut il|qu est ce qu il faut|il faut quoi|besoin de quoi"
        r"|requirements?|required|need to bring|bring|what do i need|papers|paperwork"
        r"|wema te|wema tenu|iwe wo|ki ni mo nilo|kini mo nilo|nilo"
    ),
    "delay": (
        r"delai|delais|duree|quand|rapidement|rapide|vite|attendre|attente"
        r"|when|delay|how fast|quickly|processing time"
        r"|hwetenu|hwenu|hwe tenu|igba wo|igbawo|ojo meloo?|ose meloo?|osu meloo?"
        r"|ca sort|sa sort|ca prend|sa prend|sortir|sortira|sort quand|long"
    ),
    "where": (
        r"lieu|adresse|bureau|bureaux|guichet|endroit|ou(?= (?:se|faire|on|aller|deposer|trouver"
        r"|je|j|obtenir|retirer|demander|payer|est|sont|puis|peut|peux|doit|dois|faut|il|l|le|la"
        r"|les"
        r"|ca)\b)|^ou|c est ou|cest ou|ou(?=\s*\??\s*$)|where|whr|office|address|location|located"
        r"|fite|fitenu|fite wu|nibo|ibo ni"
        r"|(?:c|c est|cest|se fait|ca se fait|on va|aller|demande|demander|depose|deposer"
        r"|retire|retirer|fait|faire) a la (?:mairie|prefecture)"
        r"|demande exactement|ou exactement|ou aller|aller ou|where do i|where can i"
    ),
    "online": (
        r"en ligne|enligne|internet|site|sites|web|online|on line|website|portail|portal"
        r"|e ?service|depuis chez moi|depuis la maison|a distance|sans me deplacer|numerique"
        r"|ayelujara|intaneeti"
    ),
}
_ASPECT_RE = {k: re.compile(rf"(?<![a-z0-9])(?:{v})(?![a-z0-9])") for k, v in _ASPECTS.items()}
_DURATION_RE = re.compile(rf"(?<![a-z0-9])(?:{_DURATION})(?![a-z0-9])")


def find_references(aligned: AlignedText) -> list[Entity]:
    """Portal references, normalised to ``SP-YYYY-NNNNNN``."""
    found = []
    for m in _REFERENCE.finditer(aligned.text):
        year = m.group("y1") or m.group("y2")
        number = (m.group("n1") or m.group("n2")).zfill(6)
        start, end = aligned.span(m.start(), m.end())
        found.append(Entity("reference", f"SP-{year}-{number}", start, end, 1.0))
    return found


def normalise_reference(text: str) -> str | None:
    """``"sp 2026 000123"`` -> ``"SP-2026-000123"``; ``None`` when ``text`` holds none."""
    refs = find_references(align_ascii(text))
    return refs[0].value if refs else None


def find_npis(aligned: AlignedText, taken: list[tuple[int, int]]) -> list[Entity]:
    """Ten-digit NPIs outside the spans already taken by references."""
    found = []
    for m in _NPI.finditer(aligned.text):
        start, end = aligned.span(m.start(), m.end())
        if not any(start < b and a < end for a, b in taken):
            found.append(Entity("npi", m.group(1), start, end, 1.0))
    return found


def find_aspects(aligned: AlignedText) -> list[Entity]:
    """Aspects asked about, one entity per aspect, at its first keyword."""
    text = aligned.text
    durations = [m.span() for m in _DURATION_RE.finditer(text)]
    found: dict[str, Entity] = {}
    for aspect, regex in _ASPECT_RE.items():
        for m in regex.finditer(text):
            if any(m.start() < b and a < m.end() for a, b in durations):
                continue  # "cb" in "ça dure cb" is part of a duration, not a cost
            start, end = aligned.span(m.start(), m.end())
            found[aspect] = Entity("aspect", aspect, start, end, 0.9)
            break
    if durations and "validity" not in found:
        start, end = aligned.span(*durations[0])
        found.setdefault("delay", Entity("aspect", "delay", start, end, 0.9))
    return sorted(found.values(), key=lambda e: e.start or 0)


# Variants of a procedure with facts of their own (catalogue ``variants``): the urgent passport.
_VARIANTS = {
    "urgent": re.compile(
        r"(?<![a-z0-9])(?:urgent|urgente|urgents|urgence|en urgence|express|accelere|vip"
        r"|urgently|fast track|ni kiakia|kiakia|ayidego|ayi dego)(?![a-z0-9])"),
}


def find_variants(aligned: AlignedText) -> list[Entity]:
    """The variant a question names ("passeport urgent"), one entity per variant."""
    found = []
    for name, regex in _VARIANTS.items():
        m = regex.search(aligned.text)
        if m is not None:
            start, end = aligned.span(m.start(), m.end())
            found.append(Entity("variant", name, start, end, 0.9))
    return found


# Head nouns of procedure names: "permis de X", "carte de X", "X permit". When one of them is
# qualified by a word that no catalogue name covers ("permis de chasse", "work permit"), the
# message names a procedure the catalogue does not have: it must not be answered with the
# nearest one's facts.
_HEADS = frozenset({
    "permis", "permit", "permits", "carte", "cartes", "card", "certificat", "certificate",
    "attestation", "acte", "act", "extrait", "licence", "license", "autorisation",
    "authorisation", "authorization", "agrement", "declaration", "titre", "livret",
    "bulletin", "registre", "diplome", "bourse", "pension", "allocation",
})
_HEADS_AFTER = frozenset({"permit", "permits", "card", "certificate", "license", "licence",
                          "authorization", "authorisation"})
"""English head nouns, qualified by the word before them ("work permit")."""
# Words after (French) or before (English) a head noun that do not name another thing: question
# words, aspect words, pronouns, courtesy, SMS shorthand.
_NOT_QUALIFIERS = frozenset({
    "a", "an", "the", "my", "your", "his", "her", "our", "their", "this", "that", "ce", "cet",
    "cette", "ces", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "votre",
    "nos", "vos", "leur", "leurs", "un", "une", "le", "la", "les", "l", "d", "de", "du", "des",
    "en", "et", "ou", "au", "aux", "pour", "par", "sur", "avec", "c", "ca", "cest", "est", "sont",
    "se", "s", "ci", "svp", "stp", "sil", "plait", "pls", "please", "merci", "bonjour", "bonsoir",
    "slt", "salut", "combien", "cb", "cbn", "cmb", "kmb", "prix", "cout", "coute", "coutent",
    "couter", "tarif", "frais", "montant", "payer", "how", "much", "cost", "costs", "price",
    "fee", "fees", "is", "are", "do", "does", "can", "i", "get", "for", "of", "to", "what",
    "which", "when", "where", "who", "why", "quel", "quelle", "quels", "quelles", "quoi",
    "comment", "quand", "delai", "duree", "temps", "jours", "valable", "validite", "documents",
    "pieces", "papiers", "dossier", "faut", "il", "je", "j", "on", "nous", "vous", "tu", "me",
    "moi", "obtenir", "avoir", "faire", "demander", "retirer", "renouveler", "renouvellement",
    "refaire", "perdu", "perdue", "vole", "volee", "nouveau", "nouvelle", "new", "renew", "lost",
    "stolen", "apply", "application", "obtain", "need", "want",
})


def find_unknown_procedures(aligned: AlignedText, procs: list[Entity],
                            words_of: Mapping[str, frozenset[str]] | None = None
                            ) -> list[Entity]:
    """Procedure names the catalogue does not have: a head noun with a qualifier, outside
    every full (non-weak) procedure match. Returned as ``unknown_procedure`` entities whose
    value is the words as written (the dialog says it does not know that procedure).

    ``words_of`` (a procedure -> the folded words of its names): a head whose qualifier is a
    procedure's own name, and which that procedure's names use too, is that procedure
    ("certificat de nationalité" when "nationalité" names the "Certificat de nationalité
    béninoise"), not another thing; "permis de résidence" stays unknown beside a "Certificat
    de résidence"."""
    strong = [(p.start, p.end) for p in procs if p.confidence > 0.6
              and p.start is not None and p.end is not None]
    owners = [(p.start, p.end, p.value) for p in procs if p.confidence > 0.6
              and p.start is not None and p.end is not None]
    tokens = list(_WORD.finditer(aligned.text))
    found: list[Entity] = []
    for i, tok in enumerate(tokens):
        if tok.group() not in _HEADS:
            continue
        h_start, h_end = aligned.span(tok.start(), tok.end())
        if any(a < h_end and h_start < b for a, b in strong):
            continue  # "carte" of "carte d'identité" matched in full
        qualifier = _qualifier(tokens, i)
        if qualifier is None:
            continue
        q_start, q_end = aligned.span(tokens[qualifier].start(), tokens[qualifier].end())
        if words_of and any(a <= q_start and q_end <= b and tok.group() in words_of.get(v, ())
                            for a, b, v in owners):
            continue  # the procedure named by the qualifier is itself a "certificat"
        # The qualifier may name a procedure on its own ("residence" permit): the phrase as a
        # whole is still another thing, and that match goes with it.
        first, last = sorted((i, qualifier))
        start, _ = aligned.span(tokens[first].start(), tokens[first].end())
        _, end = aligned.span(tokens[last].start(), tokens[last].end())
        found.append(Entity("unknown_procedure", aligned.original[start:end], start, end, 0.8))
    return found


_WORD = re.compile(r"[a-z0-9]+")


def _qualifier(tokens: list[re.Match], i: int) -> int | None:
    """The index of the word that qualifies the head noun ``tokens[i]``: the next content word
    after it ("permis de chasse"), or the content word right before it ("work permit")."""
    if (i > 0 and tokens[i].group() in _HEADS_AFTER and _names_something(tokens[i - 1].group())
            and tokens[i - 1].group() not in _HEADS
            and tokens[i].start() - tokens[i - 1].end() <= 1):
        return i - 1
    j = i + 1
    while j < len(tokens) and tokens[j].group() in ("de", "d", "du", "des", "l", "la", "le",
                                                     "a", "for", "of"):
        j += 1
    if (j < len(tokens) and j - i <= 3 and _names_something(tokens[j].group())
            and tokens[j].start() - tokens[j - 1].end() <= 3):
        return j
    return None


def _names_something(word: str) -> bool:
    return len(word) >= 3 and not word.isdigit() and word not in _NOT_QUALIFIERS and not any(
        regex.fullmatch(word) for regex in _ASPECT_RE.values())


def _spans(entities: list[Entity]) -> list[tuple[int, int]]:
    """The text spans of entities read from the message (inferred ones have none)."""
    return [(e.start, e.end) for e in entities if e.start is not None and e.end is not None]


class EntityExtractor:
    """All rule-based entities of one message."""

    def __init__(self, lexicon: Lexicon, common_words: frozenset[str] = frozenset()):
        self.procedures = PhraseMatcher(lexicon.procedures, lexicon.weak,
                                        common_words | lexicon.common_words)
        self.languages = PhraseMatcher(lexicon.languages)
        self.procedure_values = frozenset(lexicon.procedures)
        self.words_of = {value: frozenset(w for name in names
                                          for w in _WORD.findall(strip_diacritics(fold(name))))
                         for value, names in lexicon.procedures.items()}

    def extract(self, text: str) -> list[Entity]:
        aligned = align_ascii(text)
        refs = find_references(aligned)
        taken = _spans(refs)
        npis = find_npis(aligned, taken)
        taken += _spans(npis)
        procs = [
            Entity("procedure", m.value, m.start, m.end, m.confidence)
            for m in self.procedures.find(aligned, taken)
        ]
        if npis:  # "mon NPI 1234567890" gives an NPI, it does not ask about the NPI card
            procs = [p for p in procs if p.value != "carte-npi" or "carte" in
                     aligned.original[p.start:p.end].casefold()]
        unknown = find_unknown_procedures(aligned, procs, self.words_of)
        if unknown:  # "permis de chasse": the bare "permis" must not become the driving licence
            procs = [p for p in procs if not any(
                p.start is not None and p.end is not None and u.start is not None
                and u.end is not None and p.start < u.end and u.start < p.end for u in unknown)]
        taken += _spans(procs) + _spans(unknown)
        langs = [
            Entity("language", m.value, m.start, m.end, m.confidence)
            for m in self.languages.find(aligned, taken)
        ]
        aspects = [a for a in find_aspects(aligned)
                   if a.start is None or a.end is None
                   or not any(a.start < b and x < a.end for x, b in taken)]
        variants = find_variants(aligned)
        return sorted(procs + unknown + aspects + variants + refs + npis + langs,
                      key=lambda e: e.start or 0)
