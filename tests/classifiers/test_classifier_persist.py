"""save_model / load_model: skops files audited against TRUSTED_TYPES, with a card beside."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifiers import TRUSTED_TYPES, ModelError, Tagger, TextNormalizer, card_path, load_model, save_model

from .conftest import TEXTS

CARD = {"version": "20250101T000000Z-abcdef12", "labels": ["complaint", "inquiry", "other", "praise"]}


@pytest.fixture
def saved(tmp_path: Path, fitted_pipeline: Pipeline) -> Path:
    path = tmp_path / "tagger.skops"
    save_model(fitted_pipeline, path, CARD)
    return path


def test_round_trip_gives_identical_predictions(saved: Path, fitted_pipeline: Pipeline) -> None:
    loaded = load_model(saved)
    batch = [*TEXTS, "", None, "😡"]
    assert loaded.predict(batch) == Tagger(fitted_pipeline, CARD).predict(batch)
    assert loaded.version == CARD["version"]


def test_the_card_is_written_beside_the_model(saved: Path) -> None:
    assert card_path(saved) == saved.with_name("tagger.skops.card.json")
    card = json.loads(card_path(saved).read_text(encoding="utf-8"))
    assert card["version"] == CARD["version"]
    assert len(card["model_sha256"]) == 64


def test_saving_does_not_change_the_fitted_pipeline(tmp_path: Path, fitted_pipeline: Pipeline) -> None:
    vocabulary = copy.deepcopy(fitted_pipeline.named_steps["features"].transformer_list[0][1].vocabulary_)
    save_model(fitted_pipeline, tmp_path / "m.skops", CARD)
    assert fitted_pipeline.named_steps["features"].transformer_list[0][1].vocabulary_ == vocabulary


def test_trusted_types_are_exactly_what_the_pipeline_needs(saved: Path) -> None:
    # A scikit-learn or skops upgrade that changes the stored types fails here, not in production.
    assert sorted(sio.get_untrusted_types(file=saved)) == sorted(TRUSTED_TYPES)


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "absent.skops")


def test_a_missing_card_is_refused(saved: Path) -> None:
    card_path(saved).unlink()
    with pytest.raises(ModelError, match="card not found"):
        load_model(saved)


def test_a_corrupt_model_file_is_refused(saved: Path) -> None:
    saved.write_bytes(b"not a zip file")
    card = json.loads(card_path(saved).read_text(encoding="utf-8"))
    del card["model_sha256"]
    card_path(saved).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="not a readable skops file"):
        load_model(saved)


def test_a_model_that_does_not_match_its_card_is_refused(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(saved)


class Snooper(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.mark.parametrize(
    ("step", "offending"),
    [
        (FunctionTransformer(func=os.system), f"{os.system.__module__}.system"),
        (Snooper(), f"{__name__}.Snooper"),
    ],
    ids=["function-os-system", "unknown-class"],
)
def test_a_file_with_an_untrusted_type_is_refused_naming_it(
    tmp_path: Path, step: object, offending: str
) -> None:
    path = tmp_path / "evil.skops"
    save_model(Pipeline([("normalize", TextNormalizer()), ("hook", step)]), path, {"version": "evil"})
    with pytest.raises(ModelError, match="untrusted types") as refused:
        load_model(path)
    assert offending in str(refused.value)


def test_vectorizer_vocabularies_survive_the_compact_encoding(saved: Path, fitted_pipeline: Pipeline) -> None:
    loaded = load_model(saved).pipeline
    for (name, original), (_, restored) in zip(
        fitted_pipeline.named_steps["features"].transformer_list,
        loaded.named_steps["features"].transformer_list,
        strict=True,
    ):
        assert restored.vocabulary_ == original.vocabulary_, name
        assert copy.deepcopy(original).vocabulary_ == original.vocabulary_, name
