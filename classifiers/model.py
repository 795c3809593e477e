"""The scikit-learn pipeline that tags posts: normalise -> n-gram features -> calibrated SVM."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from classifiers.text import EMOJI_CLASS, CompactTfidfVectorizer, TextNormalizer

# Words of 2+ characters (Arabic included: \w is Unicode), single emoji, ? and !.
WORD_TOKEN_PATTERN = rf"(?u)\b\w\w+\b|{EMOJI_CLASS}|[?!]"
MIN_EXAMPLES_PER_LABEL = 2


class CalibratedLinearSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC with sigmoid-calibrated probabilities that also fits tiny data sets.

    Calibration uses ``min(cv, smallest class count)`` stratified folds, chosen at fit
    time, then refits one SVM on all rows (``ensemble=False``), so the fitted model holds
    a single weight matrix. Every label needs at least 2 examples.

    Parameters
    ----------
    C : float, default=0.3
        Inverse regularisation strength of the SVM (chosen by 5-fold CV on the training
        corpus's own sources; see docs/classifier.md).
    cv : int, default=5
        Largest number of calibration folds.
    method : {"sigmoid", "isotonic", "temperature"}, default="sigmoid"
        Calibration method passed to `CalibratedClassifierCV`.
    class_weight : dict, "balanced" or None, default="balanced"
        Class weights of the SVM.
    random_state : int or None, default=0
        Seed of liblinear's coordinate descent, so refits give identical models.
    """

    def __init__(
        self,
        C: float = 0.3,
        cv: int = 5,
        method: str = "sigmoid",
        class_weight: Any = "balanced",
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.cv = cv
        self.method = method
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> CalibratedLinearSVC:
        """Fit the SVM and its calibration on features `X` and labels `y`."""
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        labels, counts = np.unique(y, return_counts=True)
        if len(labels) < 2:
            raise ValueError(f"Need samples of at least 2 classes; got 1 class: {labels[0]!r}.")
        if counts.min() < MIN_EXAMPLES_PER_LABEL:
            rare = [str(label) for label in labels[counts < MIN_EXAMPLES_PER_LABEL]]
            raise ValueError(
                f"Each class needs at least {MIN_EXAMPLES_PER_LABEL} samples for calibration; "
                f"too few for: {', '.join(rare)}."
            )
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        self.n_calibration_folds_ = int(min(self.cv, counts.min()))
        self.calibrated_ = CalibratedClassifierCV(
            svm, method=self.method, cv=self.n_calibration_folds_, ensemble=False
        ).fit(X, y)
        self.classes_ = self.calibrated_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return calibrated probabilities, one column per class in `classes_`."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return self.calibrated_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """Return the most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def build_features(
    max_char_features: int = 400_000, max_word_features: int = 300_000
) -> FeatureUnion:
    """Return the union of character (2-4, within words) and word (1-3) TF-IDF n-grams.

    Chosen by 5-fold CV on the two sources of the training corpus (written.csv and the
    ArSarcasm rows), never on an evaluation set: word 1-3-grams kept from their first
    occurrence (``min_df=1``) with C=0.3 beat word 1-2-grams with ``min_df=2`` and C=0.5;
    character 2-5 or 1-5-grams, NB log-count-ratio weighting and logistic regression did
    not help. The caps bound the model file.
    """
    common = {"sublinear_tf": True, "min_df": 1, "lowercase": False, "dtype": np.float32}
    chars = CompactTfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), max_features=max_char_features, **common
    )
    words = CompactTfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 3),
        token_pattern=WORD_TOKEN_PATTERN,
        max_features=max_word_features,
        **common,
    )
    return FeatureUnion([("chars", chars), ("words", words)])


def build_pipeline(**params: Any) -> Pipeline:
    """Return an unfitted pipeline from raw texts to calibrated label probabilities.

    Steps: ``normalize`` -> ``features`` (``chars`` + ``words``) -> ``model``.
    `params` are set with `Pipeline.set_params`, e.g. ``model__C=1.0``.
    """
    pipeline = Pipeline(
        [
            ("normalize", TextNormalizer()),
            ("features", build_features()),
            ("model", CalibratedLinearSVC()),
        ]
    )
    return pipeline.set_params(**params)
