"""Coded attributes of a person: gender and language, from codes, words and locales."""

from __future__ import annotations

import re

from personae.clean.iso_tables import LANGUAGE_TABLE
from personae.clean.normalize.text import word_key, words

__all__ = ["LANGUAGE_ALIASES", "gender", "language"]

_GENDER_TABLE = {
    "female": "f fem female feminine feminin féminin femenino feminino femminile femme woman "
    "women w weiblich frau fille girl mme madame mlle mademoiselle mrs ms miss mevrouw mevr "
    "vrouw sra senora señora signora sigra donna mujer dame",
    "male": "m masc male masculine masculin masculino maschile homme h man men männlich "
    "maennlich herr hr mr mister monsieur dhr heer sr senor señor signor sig uomo hombre "
    "garcon garçon boy",
    "other": "x other others autre autres nonbinary nonbinaire nb enby divers diverse d "
    "genderqueer neutral neutre mx",
}
_GENDERS = {
    word_key(alias): canonical
    for canonical, aliases in _GENDER_TABLE.items()
    for alias in aliases.split()
}


def gender(raw: str | None) -> str | None:
    """``female``, ``male`` or ``other`` from codes, words and titles.

    ``F``/``M``/``H`` (homme)/``W`` (weiblich)/``X``/``D`` (divers), Femme, Homme, Male,
    Female, Mme, Mlle, Madame, M., Mr, Monsieur, Frau, Herr, non-binaire… Unknown values
    (including ``unknown``, ``inconnu`` or numeric codes) are invalid.
    """
    if raw is None:
        return None
    key = word_key(raw)
    return _GENDERS.get(key) if key else None


#: every ISO 639-1 code (and the withdrawn iw, in, ji, jw, mo, sh, read as today's code)
_ISO_639_1 = words(
    """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku
    kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm
    sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
    vo wa wo xh yi yo za zh zu"""
)
_WITHDRAWN_639_1 = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr"}

_LOCALE_SEPARATORS = re.compile(r"[-_.@]")
_PARENTHESES = re.compile(r"\([^)]*\)")


def _language_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {code: code for code in _ISO_639_1}
    aliases.update(_WITHDRAWN_639_1)
    for line in LANGUAGE_TABLE.strip().splitlines():
        head, _, rest = line.partition(" ")
        codes = [head]
        names = rest
        while len(names) > 3 and names[3] == " " and names[:3].islower():
            codes.append(names[:3])
            names = names[4:]
        for alias in (*codes, *names.split("; ")):
            aliases.setdefault(word_key(alias), head)
    return aliases


#: folded spelling -> ISO 639-1
LANGUAGE_ALIASES: dict[str, str] = _language_aliases()


def language(raw: str | None) -> str | None:
    """ISO 639-1 code (lower case) from a code, a locale or a name.

    ``fr``, ``FR``, ``fra``/``fre``, ``fr-FR``, ``fr_FR``, ``fr_FR.UTF-8``, ``French``,
    ``Français``, ``English``, ``Anglais``, ``Deutsch``… Unknown -> None.
    """
    if raw is None:
        return None
    text = _PARENTHESES.sub(" ", raw).strip()
    if not text:
        return None
    head = _LOCALE_SEPARATORS.split(text, maxsplit=1)[0]
    if 2 <= len(head) <= 3 and head.isascii() and head.isalpha():
        code = LANGUAGE_ALIASES.get(head.lower())
        if code is not None:
            return code
    return LANGUAGE_ALIASES.get(word_key(text))
