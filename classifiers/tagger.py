"""`Tagger`: a fitted pipeline and its card, predicting a label and confidence per post."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

logger = logging.getLogger(__name__)

FALLBACK_LABEL = "other"


@dataclass(frozen=True, slots=True)
class Prediction:
    """A label and its calibrated probability (0 when the post could not be scored)."""

    label: str
    confidence: float


class Tagger:
    """Tag posts with a fitted pipeline from `build_pipeline` and its model card."""

    def __init__(self, pipeline: Pipeline, card: Mapping[str, Any]) -> None:
        check_is_fitted(pipeline)
        self.pipeline = pipeline
        self.card = dict(card)
        self.labels: tuple[str, ...] = tuple(str(label) for label in pipeline.classes_)
        self.version = str(card.get("version", "unversioned"))

    def __repr__(self) -> str:
        return f"Tagger(version={self.version!r}, labels={self.labels!r})"

    def predict(self, texts: Iterable[Any]) -> list[Prediction]:
        """Return one prediction per text, in order; bad items never fail the batch.

        Any item is accepted (None, non-str, huge, broken Unicode). A post that still
        cannot be scored gets the label "other" (or the first label) with confidence 0.
        A bare string is refused with TypeError: it is almost always missing brackets.
        """
        if isinstance(texts, (str, bytes)):
            raise TypeError("predict() takes a sequence of texts, not a single string")
        items = list(texts)
        if not items:
            return []
        try:
            return self._predict_batch(items)
        except Exception:
            logger.exception("Batch of %d posts failed; scoring them one by one", len(items))
        predictions = [self._predict_one(item) for item in items]
        failed = predictions.count(None)
        if failed:
            logger.warning("%d of %d posts could not be scored", failed, len(items))
        fallback = Prediction(self._fallback_label(), 0.0)
        return [prediction or fallback for prediction in predictions]

    def _predict_batch(self, items: list[Any]) -> list[Prediction]:
        proba = self.pipeline.predict_proba(items)
        best = proba.argmax(axis=1)
        return [
            Prediction(self.labels[i], _bounded(proba[row, i])) for row, i in enumerate(best)
        ]

    def _predict_one(self, item: Any) -> Prediction | None:
        try:
            return self._predict_batch([item])[0]
        except Exception:  # counted and logged once per batch by predict()
            return None

    def _fallback_label(self) -> str:
        return FALLBACK_LABEL if FALLBACK_LABEL in self.labels else self.labels[0]


def _bounded(value: Any) -> float:
    """Return `value` as a float in [0, 1]; NaN becomes 0."""
    value = float(value)
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))
