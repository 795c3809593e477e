"""Classify: tag new posts (complaint, praise, inquiry, other) with a confidence and a language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import detect_language, normalize_text
from monitor import models
from monitor.bulk import update_rows


class Prediction(Protocol):
    label: str
    confidence: float


class Tagger(Protocol):
    version: str

    def predict(self, texts: Sequence[str], *, normalized: Sequence[str] | None = None) -> Sequence[Prediction]: ...


def classify_posts(session: Session, tagger: Tagger, *, limit: int = 2000) -> bool:
    """Tag up to ``limit`` posts at stage ``new``; return whether more remain.

    Only the columns needed are read, and the batch is written back with one UPDATE by
    primary key run over it (an ORM object per post and an UPDATE each cost more than the
    model). Batches of 2,000 rather than 500: each call of the model has a fixed cost, which
    made it 25-30% slower in batches of 500 (bench/ingest.py).
    """
    posts = session.execute(
        select(models.Post.id, models.Post.text).where(models.Post.stage == "new").order_by(models.Post.id)
        .limit(limit + 1)
    ).all()
    batch = posts[:limit]
    normalized = [normalize_text(post.text) for post in batch]  # once: the model's input and the search text
    predictions = tagger.predict([post.text for post in batch], normalized=normalized)
    update_rows(session, models.Post.__table__, [
        {"id": post.id, "category": prediction.label, "confidence": float(prediction.confidence),
         "category_source": "model", "model_version": tagger.version, "language": detect_language(post.text),
         "search_text": search_text, "stage": "classified"}
        for post, prediction, search_text in zip(batch, predictions, normalized, strict=True)
    ])
    session.commit()
    return len(posts) > limit
