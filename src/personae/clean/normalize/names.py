"""People's names: as written (:func:`name`), as a match key (:func:`name_key`), split."""

from __future__ import annotations

import re
import unicodedata

from personae.clean.normalize.text import words

__all__ = ["PARTICLES", "name", "name_key", "split_full_name"]

#: lower-case words that start a last name ("Jean de la Fontaine", "Ludwig van Beethoven")
PARTICLES = words(
    "de du des la le van von der den ten ter da das do dos di del della ben ibn bin el al ait aït"
)
#: particles written in lower case inside a name (French, Dutch, German usage)
_LOWER_PARTICLES = words("de du des van von der den ten ter zu")
#: after "de": "Jean de la Fontaine", "Pierre de l'Isle"
_AFTER_DE = frozenset(("la", "le", "les"))
_APOSTROPHES = "'’ʼ"
_NAME_PUNCTUATION = frozenset(" -.‐‑" + _APOSTROPHES)
_ASCII_NAME = re.compile(r"[A-Za-z .'-]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_NOT_A_TO_Z = re.compile(r"[^a-z]+")
_PLACEHOLDERS = words(
    "null none nil nan n/a n.a. n.a n.c. n.c nc inconnu inconnue unknown neant néant x xx xxx"
)
#: letters NFKD does not decompose
_KEY_LETTERS = str.maketrans(
    {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
     "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th",
     "ı": "i", "ħ": "h", "Ħ": "h"}
)  # fmt: skip


def _clean_text(raw: str) -> str:
    """NFC, trimmed, inner whitespace collapsed to one space."""
    if not raw.isascii():
        raw = unicodedata.normalize("NFC", raw)
    return " ".join(raw.split())


def _is_name_text(text: str) -> bool:
    """Letters, marks, spaces, dashes, apostrophes and dots only, with one letter."""
    if text.isascii():
        if _ASCII_NAME.fullmatch(text) is None:
            return False
    else:
        for char in text:
            category = unicodedata.category(char)
            if category[0] not in "LM" and category != "Pd" and char not in _NAME_PUNCTUATION:
                return False
    return _LETTERS.search(text) is not None and text.casefold() not in _PLACEHOLDERS


def _capitalise(match: re.Match[str]) -> str:
    word = match.group(0)
    return word[:1].upper() + word[1:]


def _recase(text: str) -> str:
    """``JEAN DE LA FONTAINE`` -> ``Jean de la Fontaine``; ``o'neil`` -> ``O'Neil``."""
    words = text.lower().split(" ")
    out: list[str] = []
    for i, word in enumerate(words):
        previous = words[i - 1] if i else ""
        if i and (word in _LOWER_PARTICLES or (previous == "de" and word in _AFTER_DE)):
            out.append(word)
        elif i and len(word) > 2 and word[0] in "dl" and word[1] in _APOSTROPHES:
            out.append(word[:2] + _LETTERS.sub(_capitalise, word[2:]))  # d'Artagnan
        else:
            out.append(_LETTERS.sub(_capitalise, word))
    return " ".join(out)


def name(raw: str | None) -> str | None:
    """A person's name as written: NFC, trimmed, inner whitespace collapsed.

    Input entirely in upper or lower case is capitalised (``JEAN-PIERRE`` ->
    ``Jean-Pierre``, ``o'neil`` -> ``O'Neil``, ``JEAN DE LA FONTAINE`` -> ``Jean de la
    Fontaine``); mixed case is kept. Digits, symbols, no letter at all or a placeholder
    (``N/A``, ``null``, ``inconnu``, ``XXX``) make it invalid.
    """
    if raw is None:
        return None
    text = _clean_text(raw)
    if not text or not _is_name_text(text):
        return None
    if text.isupper() or text.islower():
        text = _recase(text)
    return text


def name_key(raw: str | None) -> str | None:
    """Match key of a name: no accents, lower case, letters a-z only.

    ``Jean-Pierre`` -> ``jeanpierre``, ``Hélène`` -> ``helene``, ``Müller`` -> ``muller``,
    ``Œuvray`` -> ``oeuvray``. None when nothing is left (non-Latin scripts) or the value
    is a placeholder.
    """
    if raw is None:
        return None
    text = raw
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_KEY_LETTERS))
    text = text.lower()
    if text.strip() in _PLACEHOLDERS:
        return None
    return _NOT_A_TO_Z.sub("", text) or None


def _is_upper_word(token: str) -> bool:
    """``DUPONT``, ``LE-GALL``: two letters or more, all in upper case."""
    return token.isupper() and sum(c.isalpha() for c in token) > 1


def _is_elided_particle(token: str) -> bool:
    """``d'Ormesson``: a particle and a name in one word."""
    return len(token) > 2 and token[0] in "dD" and token[1] in _APOSTROPHES


def _join(tokens: list[str]) -> str | None:
    return " ".join(tokens) or None


def split_full_name(raw: str | None, order: str = "first_last") -> tuple[str | None, str | None]:
    """Split a full name into ``(first, last)``, each as written (apply :func:`name` after).

    * ``Dupont, Jean``: a comma always separates the last name from the first.
    * Words entirely in UPPER CASE are the last name when the other words are not (the
      French convention): ``DUPONT Jean`` and ``Jean DUPONT`` -> (Jean, DUPONT), in
      either order; lower-case particles before them join them (``Jean de LA FONTAINE``).
    * ``first_last``: the last name starts at the first particle after the first word
      (de, du, des, de la, le, la, van, von, der, da, di, del, ben, el, al, d'…) or is
      the last word: ``Jean-Pierre de la Fontaine`` -> (Jean-Pierre, de la Fontaine).
    * ``last_first``: the first word, with its particles, is the last name:
      ``de la Fontaine Jean`` -> (Jean, de la Fontaine).
    * A single word is a last name when written in upper case or when ``order`` is
      ``last_first``; otherwise (``first_last``) it is a first name: ``Jean`` ->
      (Jean, None), ``DUPONT`` -> (None, DUPONT).
    * Blank -> (None, None).
    """
    if order not in ("first_last", "last_first"):
        raise ValueError(f"order must be 'first_last' or 'last_first', not {order!r}")
    if raw is None:
        return None, None
    text = _clean_text(raw)
    if not text:
        return None, None
    if "," in text:
        last, _, first = text.partition(",")
        return _join(first.strip(" ,").split()), _join(last.strip(" ,").split())
    tokens = text.split(" ")
    if len(tokens) == 1:
        if _is_upper_word(text) or order == "last_first":
            return None, text
        return text, None
    upper = [i for i, token in enumerate(tokens) if _is_upper_word(token)]
    if upper and len(upper) < len(tokens) and upper[-1] - upper[0] == len(upper) - 1:
        start, end = upper[0], upper[-1] + 1
        if end == len(tokens):
            while start > 1 and tokens[start - 1].casefold() in PARTICLES:
                start -= 1
        if start == 0 or end == len(tokens):
            given = tokens[:start] + tokens[end:]
            if given:
                return _join(given), _join(tokens[start:end])
    if order == "last_first":
        end = 0
        while end < len(tokens) - 1 and tokens[end].casefold() in PARTICLES:
            end += 1
        end += 1
        return _join(tokens[end:]), _join(tokens[:end])
    for i in range(1, len(tokens)):
        particle = tokens[i].casefold() in PARTICLES and i < len(tokens) - 1
        if particle or _is_elided_particle(tokens[i]):
            return _join(tokens[:i]), _join(tokens[i:])
    return _join(tokens[:-1]), tokens[-1]
