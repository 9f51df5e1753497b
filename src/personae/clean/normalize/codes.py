"""Coded attributes of a person: gender and language, from codes, words and locales."""

from __future__ import annotations

import re

from personae.clean.normalize.iso_tables import iso_639_1, languages
from personae.clean.normalize.text import word_key

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


_LOCALE_SEPARATORS = re.compile(r"[-_.@]")
_PARENTHESES = re.compile(r"\([^)]*\)")


def _language_aliases() -> dict[str, str]:
    aliases = dict(iso_639_1())
    for code, iso_639_2, names in languages():
        for alias in (code, *iso_639_2, *names):
            aliases.setdefault(word_key(alias), code)
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
