"""Keys for matching the words people type: accents, case and punctuation set aside."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "word_key", "words"]

_LEADING_ARTICLE = re.compile(r"(?:the|la|le|les)\s+|l'")


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


def fold(text: str) -> str:
    """Lower case without accents, for matching words people type (``États`` -> ``etats``)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


def word_key(text: str) -> str:
    """``  Les États-Unis `` -> ``etatsunis``: folded, no leading article, alphanumerics."""
    folded = " ".join(fold(text).replace("’", "'").split())
    folded = _LEADING_ARTICLE.sub("", folded, count=1) if _LEADING_ARTICLE.match(folded) else folded
    return "".join(c for c in folded if c.isalnum())
