import csv
import json
import random

from classifiers import normalize_text
from monitor.pipeline.route import (
    NO_RULE, PRIORITY_BY_TAG, WORD_STARTS, Catalogue, Routing, UnitRule, route_text,
    route_texts,
)
from tests.conftest import DATA


def test_english_keywords_route_to_their_unit(catalogue):
    routing = route_text("Huge pothole on the highway near exit 4", "complaint", catalogue)
    assert (routing.unit, routing.priority) == ("roads", "normal")


def test_arabic_keywords_match_with_the_article_and_spelling_variants(catalogue):
    # "الانارة" without hamza and with the article still matches "إنارة"
    assert route_text("الانارة طافية في شارعنا من يومين", "complaint", catalogue).unit == "lighting"
    assert route_text("المجاري طافحة جدام البيت", "complaint", catalogue).unit == "sewerage"


def test_a_post_matching_no_unit_goes_to_triage(catalogue):
    assert route_text("the internet is unbearably slow today", "complaint", catalogue).unit == "triage"


def test_urgent_terms_raise_the_priority_of_complaints_only(catalogue):
    assert route_text("sewage overflow flooding our house", "complaint", catalogue).priority == "urgent"
    assert route_text("غرقت الشوارع بعد المطر", "complaint", catalogue).priority == "urgent"
    assert route_text("thanks for handling the flooding so fast", "praise", catalogue).priority == "low"


def test_longer_terms_use_up_their_words_so_street_lights_go_to_lighting(catalogue):
    routing = route_text("Thank you for fixing the street lights on Budaiya Highway", "praise", catalogue)
    assert routing.unit == "lighting"
    assert route_text("أعمدة الإنارة في الشارع مطفية", "complaint", catalogue).unit == "lighting"


def test_the_unit_with_more_matched_words_wins(catalogue):
    assert route_text("pothole and broken asphalt near the drain", "complaint", catalogue).unit == "roads"


# `route_texts` tries only the terms that can occur; it must give exactly what trying
# every term, longest first, gives: the rules restated plainly below.

CATEGORIES = [*PRIORITY_BY_TAG, "unknown"]
TRICKY = [
    "", "street", "street lights on the street, streetlights and a street light",
    "lamp post lamp lamppost light pole lights out", "road drain", "drain road",
    "potholes pothole potholespotholes roadroads",
    "flooding floodflood overflowing overflow",
    "الحفره حفرتين بالحفر للحفر والحفر والحفره", "شارعطرق شارع شارع شارع", "حفرطريق",
    "مياه الامطار امطار مطر والامطار بالامطار",
    "الصرف الصحي صرف صحي الصرف والصرف الصحيه",
    "رخصه بناء مخالف مخالفه بناء بناء مخالف",
    "كهرباء مكشوفه سلك مكشوف والسلك مكشوف",
    "اعمده الاناره الاناره اناره للاناره", "للشارع للطرق الطرق والطرق",
    "غرقت غرق الغرق", "  double  spaces  street  lights ", "tab\tstreet\nroad",
    "ال", "والال الالطرق", "USER street URL #street 123 شارع",
    "flood مياه الامطار drain road شارع",
]


def reference_routing(normalized: str, category: str, catalogue: Catalogue) -> Routing:
    text = f" {normalized} "
    pairs = [(term, unit.slug) for unit in catalogue.units for term in unit.terms]
    remaining, scores = text, {}
    for term, slug in sorted(pairs, key=lambda pair: -len(pair[0])):
        if term not in remaining:  # then no needle is, as each holds the term
            continue
        for prefix in WORD_STARTS:
            needle = prefix + term
            while needle in remaining:
                start = remaining.index(needle)
                blank = " " * len(needle)
                remaining = remaining[:start] + blank + remaining[start + len(needle):]
                scores[slug] = scores.get(slug, 0) + len(term.split())
    needles = [start + term for term in catalogue.urgent_terms for start in WORD_STARTS]
    urgent = category == "complaint" and any(needle in text for needle in needles)
    priority = "urgent" if urgent else PRIORITY_BY_TAG.get(category, "normal")
    if not scores:
        return Routing(catalogue.triage, priority, NO_RULE)
    order = [unit.slug for unit in catalogue.units]
    best = max(scores, key=lambda slug: (scores[slug], -order.index(slug)))
    return Routing(best, priority, f"keywords:{best}:{scores[best]}")


def assert_routes_like_reference(texts: list[str], catalogue: Catalogue) -> None:
    for category in CATEGORIES:
        got = route_texts(texts, [category] * len(texts), catalogue, normalized=texts)
        want = [reference_routing(text, category, catalogue) for text in texts]
        cases = zip(texts, got, want, strict=True)
        wrong = [case for case in cases if case[1] != case[2]]
        assert not wrong, f"{len(wrong)} of {len(texts)} ({category}), e.g. {wrong[:3]}"


def test_rules_route_every_known_text_as_trying_every_term_does(catalogue):
    posts = (DATA / "demo" / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["data"]["text"] for line in posts if line.strip()]
    for path in sorted((DATA / "labeled").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as rows:
            texts += [row["text"] for row in csv.DictReader(rows)]
    assert len(texts) > 3000
    texts = [normalize_text(text) for text in texts] + TRICKY
    # Each term alone, after each article, running into a longer word and into itself.
    terms = [term for unit in catalogue.units for term in unit.terms]
    texts += [f"{prefix[1:]}{term}{end}" for term in [*terms, *catalogue.urgent_terms]
              for prefix in WORD_STARTS for end in ("", "ات", "s", term)]
    assert_routes_like_reference(texts, catalogue)


def test_rules_route_random_texts_as_trying_every_term_does():
    """Short terms, few letters: texts full of overlaps and of terms inside words."""
    units = (
        UnitRule("one", "", "", ("ab", "b", "abc", "a b", "ال", "لب", "ba b")),
        UnitRule("two", "", "", ("ba", "b", "c ab", "بلب", "الا", "cab")),
        UnitRule("three", "", "", ("a", "cc", "وب", "b c a")),
    )
    tidy = Catalogue(units, triage="one", urgent_terms=("ca", "b a", "با"))
    # Terms no normaliser makes (spaces at an end, or doubled): every term is tried.
    odd_unit = UnitRule("four", "", "", (" a", "b  c", "c "))
    odd = Catalogue((*units, odd_unit), triage="one", urgent_terms=("", "ca"))
    rng, letters = random.Random(7), "abcالوب  "
    texts = ["".join(rng.choices(letters, k=rng.randrange(17))) for _ in range(2000)]
    assert_routes_like_reference(texts, tidy)
    assert_routes_like_reference(texts[:500], odd)
