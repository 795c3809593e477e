"""normalize_text, detect_language and TextNormalizer."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
)

from classifiers import TextNormalizer, detect_language, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("مُحَمَّدٌ", "محمد", id="tashkeel"),
        pytest.param("الرَّحْمٰنِ", "الرحمن", id="superscript-alef"),
        pytest.param("جمـــيل", "جميل", id="tatweel"),
        pytest.param("أحمد إلى آمنة ٱلله", "احمد الي امنه الله", id="alef-variants"),
        pytest.param("مستشفى", "مستشفي", id="alef-maqsura"),
        pytest.param("مدرسة", "مدرسه", id="ta-marbuta"),
        pytest.param("مؤسسة رئيس", "موسسه رييس", id="hamza-on-waw-and-ya"),
        pytest.param("٠١٢٣٤٥٦٧٨٩", "0123456789", id="arabic-indic-digits"),
        pytest.param("۰۱۲۳۴۵۶۷۸۹", "0123456789", id="persian-digits"),
        pytest.param("يابشرررر", "يابشرر", id="arabic-elongation"),
        pytest.param("sooooo goood", "soo good", id="english-elongation"),
        pytest.param("1000 !!!!", "1000 !!", id="digits-kept-punctuation-squeezed"),
        pytest.param("#أمطار_البحرين", "امطار البحرين", id="arabic-hashtag"),
        pytest.param("#RoadWorks", "road works", id="camel-case-hashtag"),
        pytest.param("see https://t.co/abc#x now", "see URL now", id="url"),
        pytest.param("www.example.com", "URL", id="bare-www-url"),
        pytest.param("@MoW_Bahrain شكرا", "USER شكرا", id="mention"),
        pytest.param("mail me at a@b.com", "mail me at a@b.com", id="email-is-not-a-mention"),
        pytest.param("Hello WORLD", "hello world", id="lowercase"),
        pytest.param("I don't know", "i do not know", id="n't"),
        pytest.param("can't won't", "can not will not", id="can't-won't"),
        pytest.param("it's broken", "it is broken", id="it's"),
        pytest.param("they’re here", "they are here", id="curly-apostrophe"),
        pytest.param("  a \n\t b  ", "a b", id="whitespace"),
        pytest.param("ﻻ", "لا", id="presentation-forms"),
        pytest.param("؟", "?", id="arabic-question-mark"),
    ],
)
def test_normalize_text_applies_each_rule(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_emoji_are_kept_as_separate_tokens() -> None:
    assert normalize_text("الشارع😡😡مكسر❤️") == "الشارع 😡 😡 مكسر ❤"


def test_masking_tokens_do_not_collide_with_the_words_url_and_user() -> None:
    assert normalize_text("USER url @x") == "user url USER"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        (12.5, "12.5"),
        ("a\x00b", "a b"),
        ("a\ud800b", "ab"),
        ("\ud83d\ude00", "😀"),
        ("a\u200fb\ufeff", "a b"),
    ],
    ids=["none", "number", "nul", "lone-surrogate", "surrogate-pair", "invisible-marks"],
)
def test_normalize_text_accepts_anything(raw: object, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_huge_text_is_truncated_before_normalisation() -> None:
    huge = "الطريق مكسور " * 10_000
    started = time.perf_counter()
    normalized = normalize_text(huge)
    assert time.perf_counter() - started < 0.5
    assert len(normalized) <= 5_000


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("الشارع مكسر من شهر", "ar"),
        ("the road is broken", "en"),
        ("الشارع broken من yesterday", "mixed"),
        ("الشارع مكسور جدا جدا جدا ok", "ar"),
        ("@MoW_Bahrain https://t.co/abc الشارع مكسر", "ar"),
        ("WWW.WorksMinistry.gov.bh/Projects HTTP://T.CO/Abc المشروع متى يخلص", "ar"),
        ("شكرا جزيلا على الرد roads@ministry", "mixed"),  # an address is no mention: its letters count
        ("😡😡 123", "ar"),
        (None, "ar"),
    ],
    ids=["arabic", "english", "mixed", "few-latin-letters", "masks-ignored", "upper-case-urls-ignored",
         "only-a-mention-is-dropped", "no-letters", "none"],
)
def test_detect_language(text: object, language: str) -> None:
    assert detect_language(text) == language


def test_text_normalizer_transforms_a_list_to_an_array_of_strings() -> None:
    out = TextNormalizer().fit_transform(["مُحَمَّدٌ", None, "Hello"])
    assert isinstance(out, np.ndarray)
    assert out.tolist() == ["محمد", "", "hello"]


def test_text_normalizer_refuses_a_bare_string() -> None:
    with pytest.raises(ValueError, match="string object received"):
        TextNormalizer().transform("one text")


def test_text_normalizer_is_stateless_and_needs_no_fit() -> None:
    normalizer = TextNormalizer()
    before = dict(vars(normalizer))
    assert normalizer.fit(["a"]) is normalizer
    assert vars(normalizer) == before
    assert TextNormalizer().transform(["ABC"]).tolist() == ["abc"]


def test_text_normalizer_params_round_trip_through_clone_and_set_params() -> None:
    normalizer = TextNormalizer(max_chars=10)
    assert clone(normalizer).get_params() == {"max_chars": 10}
    assert normalizer.set_params(max_chars=3).transform(["abcdef"]).tolist() == ["abc"]


# parametrize_with_checks skips string-input transformers (its checks feed numeric
# arrays), so the data-free API checks are run one by one instead.
@pytest.mark.parametrize(
    "check",
    [
        check_estimator_cloneable,
        check_estimator_repr,
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
        check_valid_tag_types,
    ],
)
def test_text_normalizer_passes_scikit_learn_api_checks(check) -> None:
    check("TextNormalizer", TextNormalizer())
