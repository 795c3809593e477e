"""Interface languages: Arabic (default, right-to-left) and English, from Babel message catalogues.

Catalogues are kept as ``.po`` text in ``locale/`` and compiled in memory at
start-up, so a translator edits one reviewable file and there is no build step.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("ar", "en")
DEFAULT_LANGUAGE = "ar"
DIRECTION = {"ar": "rtl", "en": "ltr"}


@cache
def translations(language: str) -> NullTranslations:
    catalogue_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not catalogue_path.exists():
        return NullTranslations()
    with catalogue_path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer)


def pick_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE
