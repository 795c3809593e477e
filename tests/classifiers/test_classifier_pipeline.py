"""build_pipeline() and the calibrated SVM step."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifiers import build_pipeline
from classifiers.model import CalibratedLinearSVC

from .conftest import LABELS, TEXTS


def test_build_pipeline_names_its_steps() -> None:
    pipeline = build_pipeline()
    assert list(pipeline.named_steps) == ["normalize", "features", "model"]
    assert [name for name, _ in pipeline.named_steps["features"].transformer_list] == ["chars", "words"]


def test_build_pipeline_passes_params_to_the_steps() -> None:
    assert build_pipeline(model__C=2.0).named_steps["model"].C == 2.0


def test_unfitted_pipeline_can_be_cloned() -> None:
    pipeline = build_pipeline()
    assert clone(pipeline).get_params().keys() == pipeline.get_params().keys()


def test_fitted_pipeline_predicts_the_label_set(fitted_pipeline: Pipeline) -> None:
    assert list(fitted_pipeline.classes_) == ["complaint", "inquiry", "other", "praise"]
    predicted = fitted_pipeline.predict(["الشارع مكسر", "thank you ministry"])
    assert set(predicted) <= set(LABELS)


def test_probabilities_sum_to_one(fitted_pipeline: Pipeline) -> None:
    proba = fitted_pipeline.predict_proba(TEXTS[:8] + ["", "😡", "road?"])
    assert proba.shape == (11, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_pipeline_learns_the_training_corpus(fitted_pipeline: Pipeline) -> None:
    accuracy = np.mean(fitted_pipeline.predict(TEXTS) == np.array(LABELS))
    assert accuracy >= 0.9


def test_two_examples_per_label_are_enough() -> None:
    texts = ["broken road", "road broken again", "thank you", "thanks a lot"]
    pipeline = build_pipeline().fit(texts, ["complaint", "complaint", "praise", "praise"])
    assert pipeline.named_steps["model"].n_calibration_folds_ == 2


def test_a_label_with_one_example_is_refused_clearly() -> None:
    texts = ["broken road", "road broken again", "thank you"]
    with pytest.raises(ValueError, match="at least 2 samples.*praise"):
        build_pipeline().fit(texts, ["complaint", "complaint", "praise"])


def _expected_failures(estimator: CalibratedLinearSVC) -> dict[str, str]:
    return {
        "check_class_weight_classifiers": (
            "class_weight shapes the SVM only; sigmoid calibration then restores the "
            "observed class frequencies, so extreme weights do not flip predictions"
        )
    }


@parametrize_with_checks([CalibratedLinearSVC()], expected_failed_checks=_expected_failures)
def test_calibrated_linear_svc_follows_the_estimator_contract(estimator, check) -> None:
    check(estimator)
