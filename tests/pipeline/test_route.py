from monitor.pipeline.route import route_text


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
