"""`Tagger`: a fitted pipeline and its card, predicting a label and confidence per post."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from classifiers.text import MAX_CHARS, TextNormalizer

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
        # The steps after normalisation, when that is `normalize_text` as the pipeline stores it.
        first = pipeline.steps[0][1]
        standard = isinstance(first, TextNormalizer) and first.max_chars == MAX_CHARS
        self._after_normalize: Pipeline | None = pipeline[1:] if standard else None

    def __repr__(self) -> str:
        return f"Tagger(version={self.version!r}, labels={self.labels!r})"

    def predict(self, texts: Iterable[Any], *, normalized: Sequence[str] | None = None) -> list[Prediction]:
        """Return one prediction per text, in order; bad items never fail the batch.

        Any item is accepted (None, non-str, huge, broken Unicode). A post that still
        cannot be scored gets the label "other" (or the first label) with confidence 0.
        A bare string is refused with TypeError: it is almost always missing brackets.

        ``normalized`` may give each text as `normalize_text` returned it (the pipeline
        keeps it as the post's search text); the model then skips its own normalising
        step, a fifth of its time. A model whose first step differs ignores it.
        """
        if isinstance(texts, (str, bytes)):
            raise TypeError("predict() takes a sequence of texts, not a single string")
        items = list(texts)
        if normalized is not None and len(normalized) != len(items):
            raise ValueError(f"{len(items)} texts but {len(normalized)} normalised texts")
        if not items:
            return []
        try:
            if normalized is not None and self._after_normalize is not None:
                return self._predictions(self._after_normalize.predict_proba(list(normalized)))
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
        return self._predictions(self.pipeline.predict_proba(items))

    def _predictions(self, proba: Any) -> list[Prediction]:
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
