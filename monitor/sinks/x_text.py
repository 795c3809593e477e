"""X's post length rule (twitter-text configuration v3), as a pure function.

A post may hold 280 weighted characters. Code points in the ranges below weigh
1; every other code point weighs 2. The first range (U+0000-U+10FF) covers
Latin, Arabic (U+0600-U+06FF), its diacritics and Arabic-Indic digits: they
weigh 1, so an Arabic reply may be 280 letters long. CJK, Arabic presentation
forms (U+FB50-U+FEFF) and emoji weigh 2. A URL counts 23 whatever its length.
Text is NFC-normalised first, as X does.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
URL_LENGTH = 23
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
URL = re.compile(r"https?://[^\s]+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|gov|edu|info|io|co|me|ly|sa|bh|ae|qa|om|kw)"
                 r"\b(?:/[^\s]*)?", re.IGNORECASE)


def weighted_length(text: str) -> int:
    """The length X counts for ``text``."""
    text = unicodedata.normalize("NFC", text)
    urls = URL.findall(text)
    rest = URL.sub("", text)
    return URL_LENGTH * len(urls) + sum(_weight(char) for char in rest)


def _weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in LIGHT_RANGES) else 2


def length_problem(text: str) -> str | None:
    """Why X would refuse ``text`` for its length, or None when it fits."""
    length = weighted_length(text)
    if length > MAX_WEIGHTED_LENGTH:
        return (f"reply is {length} characters as X counts them (links count 23, CJK and emoji 2); "
                f"X allows {MAX_WEIGHTED_LENGTH}: shorten it")
    return None
