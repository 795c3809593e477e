"""X's weighted length (twitter-text v3): what the reply sink checks before sending."""

from monitor.sinks.x_text import length_problem, weighted_length

ARABIC_REPLY = "شكراً لتواصلكم، تم تحويل بلاغكم إلى إدارة الطرق وسيتم إصلاح الحفرة خلال ثلاثة أيام عمل. "


def test_latin_text_counts_one_per_character():
    assert weighted_length("Thank you, reported.") == 20


def test_a_long_arabic_reply_counts_one_per_letter_and_diacritic_as_x_does():
    text = (ARABIC_REPLY * 4)[:280]
    assert len(text) == 280 and weighted_length(text) == 280
    assert length_problem(text) is None
    assert "281 characters" in length_problem(text + "ب")


def test_arabic_presentation_forms_cjk_and_emoji_count_two():
    assert weighted_length("ﻻ") == 2  # U+FEFB, presentation form
    assert weighted_length("道路") == 4
    assert weighted_length("👍") == 2


def test_every_link_counts_23_whatever_its_length():
    long_link = "https://works.gov.bh/" + "a" * 100
    assert weighted_length(f"تفاصيل المشروع: {long_link}") == len("تفاصيل المشروع: ") + 23
    assert weighted_length("see works.gov.bh/roads") == 4 + 23


def test_text_is_normalised_before_counting():
    assert weighted_length("e\u0301") == 1  # é composed: one character
