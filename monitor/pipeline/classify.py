"""Classify: tag new posts (complaint, praise, inquiry, other) with a confidence and a language."""

from __future__ import annotations

from typing import Protocol, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import detect_language, normalize_text
from monitor import models


class Prediction(Protocol):
    label: str
    confidence: float


class Tagger(Protocol):
    version: str

    def predict(self, texts: Sequence[str]) -> Sequence[Prediction]: ...


def classify_posts(session: Session, tagger: Tagger, *, limit: int = 500) -> bool:
    """Tag up to ``limit`` posts at stage ``new``; return whether more remain."""
    posts = session.scalars(
        select(models.Post).where(models.Post.stage == "new").order_by(models.Post.id).limit(limit + 1)
    ).all()
    batch = posts[:limit]
    predictions = tagger.predict([post.text for post in batch])
    for post, prediction in zip(batch, predictions, strict=True):
        post.category = prediction.label
        post.confidence = float(prediction.confidence)
        post.category_source = "model"
        post.model_version = tagger.version
        post.language = detect_language(post.text)
        post.search_text = normalize_text(post.text)
        post.stage = "classified"
    session.commit()
    return len(posts) > limit
