"""Text normalisation for Gulf Arabic, MSA and English posts.

Choices, in the order `normalize_text` applies them:

1. Anything becomes a string (None -> ""), truncated to `MAX_CHARS` first so that huge
   inputs stay cheap; lone surrogates, NUL/control and invisible format characters go.
2. NFKC folds Arabic presentation forms and ligatures (ﻻ -> لا) and full-width Latin.
3. English is lowercased and contractions are expanded (don't -> do not).
4. URLs become ``URL`` and @mentions ``USER``; these upper-case tokens cannot collide with
   real words because the text is lowercased while they are private-use placeholders.
5. Hashtags become their words: '#أمطار_البحرين' -> 'أمطار البحرين', '#RoadWorks' ->
   'road works'. No marker token is kept.
6. Arabic: diacritics (U+064B-U+065F, U+0670, Quranic marks) and tatweel are removed;
   أ إ آ ٱ -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي; Persian ی ک ھ -> ي ك ه; ؟ -> ?.
   These merge spellings that Gulf users mix freely, at the cost of a few homographs.
7. Arabic-Indic and Persian digits -> ASCII digits.
8. Any non-digit character repeated 3+ times is squeezed to 2 (يابشرررر -> يابشرر,
   sooooo -> soo, !!!! -> !!); digits are kept (1000 stays 1000).
9. Emoji are kept as separate tokens; whitespace is collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

MAX_CHARS = 5_000

# Emoji and pictographs, as a regex character class shared with the word tokenizer.
EMOJI_CLASS = (
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff"
    "\u2190-\u21ff\u3030\u303d\u3297\u3299]"
)
_ARABIC_LETTER = (
    "[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06ff"
    "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufdff\ufe70-\ufefc]"
)
_LATIN_LETTER = "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ue000-\uf8ff\ufe0f\ufeff]"
)
# Private-use placeholders survive lowercasing; _INVISIBLE removes any from the input.
_URL_MARK, _USER_MARK = "\ue000", "\ue001"
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_REPEATS = re.compile(r"([^\d\s])\1{2,}")
_EMOJI = re.compile(f"({EMOJI_CLASS})")
# Runs of letters: counting their lengths is faster than finding each letter alone.
_ARABIC_RUNS = re.compile(_ARABIC_LETTER + "+")
_LATIN_RUNS = re.compile(_LATIN_LETTER + "+")

_LETTER_MAP = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
        "ی": "ي", "ک": "ك", "ھ": "ه", "؟": "?",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)

_CONTRACTIONS = [
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"\blet's\b"), "let us"),
    (re.compile(r"\b(it|that|what|there|here|he|she|who|where|how)'s\b"), r"\1 is"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'d\b"), " would"),
]
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def _clean(text: Any, max_chars: int = MAX_CHARS) -> str:
    """Return `text` as a bounded string without surrogates or invisible characters."""
    if text is None:
        return ""
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # a hostile __str__ must not break a batch
            return ""
    text = text[:max_chars]
    # utf-16 round trip re-pairs valid surrogate pairs and drops lone ones.
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "ignore")
    return _INVISIBLE.sub(" ", text)


def _split_hashtag(match: re.Match[str]) -> str:
    words = _CAMEL.sub(" ", match.group(1)).replace("_", " ")
    return f" {words.lower()} "


def _expand_contractions(text: str) -> str:
    text = text.translate(_APOSTROPHES)
    if "'" not in text:
        return text
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def normalize_text(text: Any, max_chars: int = MAX_CHARS) -> str:
    """Normalise one post for the classifier; never raises (see module docstring)."""
    text = unicodedata.normalize("NFKC", _clean(text, max_chars))
    text = _URL.sub(f" {_URL_MARK} ", text)
    text = _MENTION.sub(f" {_USER_MARK} ", text)
    text = _HASHTAG.sub(_split_hashtag, text)
    text = _expand_contractions(text.lower())
    text = _DIACRITICS.sub("", text).translate(_LETTER_MAP)
    text = _REPEATS.sub(r"\1\1", text)
    text = _EMOJI.sub(r" \1 ", text)
    text = text.replace(_URL_MARK, "URL").replace(_USER_MARK, "USER")
    return " ".join(text.split())


def detect_language(text: Any) -> str:
    """Return 'ar', 'en' or 'mixed' from the letters of `text`.

    URLs and mentions are ignored. 'mixed' when the minority script has at least 3 letters
    and 25% of all letters. A post with no letters (emoji, digits, empty) is 'ar': the
    audience is a Gulf ministry, so Arabic is the better default for replies.
    """
    text = _clean(text)
    if "://" in text or "www." in text.lower():  # what a URL starts with, tested before the slower pattern
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    arabic = sum(map(len, _ARABIC_RUNS.findall(text)))
    latin = sum(map(len, _LATIN_RUNS.findall(text)))
    minority = min(arabic, latin)
    if minority >= 3 and minority >= 0.25 * (arabic + latin):
        return "mixed"
    return "en" if latin > arabic else "ar"


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Stateless transformer applying `normalize_text` to each raw text.

    Parameters
    ----------
    max_chars : int, default=5000
        Characters of each text kept before normalisation.
    """

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self.max_chars = max_chars

    def fit(self, X: Iterable[Any], y: Any = None) -> TextNormalizer:
        """Check `X` is a collection of texts; nothing is learned."""
        _check_texts(X)
        return self

    def transform(self, X: Iterable[Any]) -> np.ndarray:
        """Return a 1-D object array of normalised strings."""
        texts = [normalize_text(text, self.max_chars) for text in _check_texts(X)]
        out = np.empty(len(texts), dtype=object)
        out[:] = texts
        return out

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def _check_texts(X: Any) -> Iterable[Any]:
    """Refuse a bare string, which would otherwise be read as one text per character."""
    if isinstance(X, (str, bytes)):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
        return X[:, 0]
    return X


class CompactTfidfVectorizer(TfidfVectorizer):
    """`TfidfVectorizer` whose fitted vocabulary is persisted compactly.

    skops writes a dict as one JSON node per entry (about 1 KB each), so a 300k-term
    vocabulary would make a file of hundreds of MB that loads slowly. This subclass hands
    skops (and copy/pickle) the terms in index order as one NUL-separated UTF-8 byte array
    instead, and rebuilds the dict on load. Behaviour is otherwise identical.
    """

    def __getstate__(self) -> dict[str, Any]:  # noqa: D105
        state = dict(super().__getstate__())  # may be our own __dict__: never mutate it
        vocabulary = state.get("vocabulary_")
        if isinstance(vocabulary, dict) and _packable(vocabulary):
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            packed = "\0".join(terms).encode("utf-8")
            state["vocabulary_"] = np.frombuffer(packed, dtype=np.uint8).copy()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:  # noqa: D105
        packed = state.get("vocabulary_")
        if isinstance(packed, np.ndarray):
            terms = packed.tobytes().decode("utf-8").split("\0")
            state = {**state, "vocabulary_": {term: i for i, term in enumerate(terms)}}
        super().__setstate__(state)


def _packable(vocabulary: dict[str, int]) -> bool:
    """True when indices are 0..n-1 and no term contains NUL, so packing is lossless."""
    if not vocabulary or sorted(vocabulary.values()) != list(range(len(vocabulary))):
        return False
    return not any("\0" in term for term in vocabulary)
