"""Tagger: one prediction per post, whatever the post contains."""

from __future__ import annotations

import logging

import pytest
from sklearn.pipeline import Pipeline

from classifiers import Prediction, Tagger

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t ",
    "emoji-only": "😡😡😡",
    "100-kb": "الشارع مكسور broken road " * 4_000,
    "nul-bytes": "road\x00broken\x00",
    "lone-surrogate": "\ud800",
    "none": None,
    "number": 42,
    "mixed-scripts": "الشارع broken من yesterday 😡 #طرق_البحرين @MoW",
    "control-chars": "\x07\x1b[31m\x7f",
}


@pytest.fixture(scope="module")
def tagger(fitted_pipeline: Pipeline) -> Tagger:
    return Tagger(fitted_pipeline, {"version": "test-1"})


def test_tagger_exposes_labels_and_version(tagger: Tagger) -> None:
    assert tagger.labels == ("complaint", "inquiry", "other", "praise")
    assert tagger.version == "test-1"


def test_predictions_are_frozen_label_confidence_pairs(tagger: Tagger) -> None:
    [prediction] = tagger.predict(["thank you ministry, excellent work"])
    assert isinstance(prediction, Prediction)
    assert prediction.label == "praise"
    with pytest.raises(AttributeError):
        prediction.label = "complaint"  # type: ignore[misc]


@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_still_gets_a_label_and_confidence(tagger: Tagger, text: object) -> None:
    [prediction] = tagger.predict([text])
    assert prediction.label in tagger.labels
    assert 0.0 <= prediction.confidence <= 1.0


def test_a_batch_with_bad_items_returns_one_prediction_per_item(tagger: Tagger) -> None:
    batch = ["الشارع مكسر", *BAD_INPUTS.values(), "when will the bridge reopen?"]
    predictions = tagger.predict(batch)
    assert len(predictions) == len(batch)
    assert predictions[-1].label == "inquiry"


def test_an_empty_batch_gives_no_predictions(tagger: Tagger) -> None:
    assert tagger.predict([]) == []


def test_a_bare_string_is_refused(tagger: Tagger) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        tagger.predict("الشارع مكسر")


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text here")


def test_an_item_whose_str_raises_is_scored_as_empty_text(tagger: Tagger) -> None:
    predictions = tagger.predict(["thank you ministry", Unprintable(), ""])
    assert predictions[0].label == "praise"
    assert predictions[1] == predictions[2]


def test_a_failing_model_degrades_to_fallback_predictions(
    fitted_pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Tagger(fitted_pipeline, {"version": "broken"})
    broken.pipeline = Pipeline([("model", _Exploding())])
    with caplog.at_level(logging.WARNING, logger="classifiers.tagger"):
        predictions = broken.predict(["a", "b"])
    assert predictions == [Prediction("other", 0.0), Prediction("other", 0.0)]
    assert "2 of 2 posts could not be scored" in caplog.text


class _Exploding:
    def predict_proba(self, X):
        raise RuntimeError("boom")


def test_normalised_texts_give_the_same_predictions_as_raw_ones(tagger: Tagger) -> None:
    from classifiers import normalize_text

    batch = ["الشارع مكسر", "when will the bridge reopen?", "شكراً للوزارة 👏 #طرق_البحرين", *BAD_INPUTS.values()]
    normalized = [normalize_text(text) for text in batch]
    assert tagger.predict(batch, normalized=normalized) == tagger.predict(batch)


def test_the_normalised_texts_are_what_the_model_reads(tagger: Tagger) -> None:
    """Given normalised texts, the model scores them, not the raw ones (it does not normalise twice)."""
    praise, complaint = "thank you ministry, excellent work", "the road is broken and dangerous"
    [from_raw] = tagger.predict([praise])
    [from_normalised] = tagger.predict([praise], normalized=[complaint])
    assert from_normalised == tagger.predict([complaint])[0] != from_raw


def test_normalised_texts_must_match_the_texts_one_for_one(tagger: Tagger) -> None:
    with pytest.raises(ValueError, match="2 texts but 1 normalised"):
        tagger.predict(["a", "b"], normalized=["a"])
