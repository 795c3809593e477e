"""Routing order: the catalogue's rules, then the unit model when it is sure enough, then triage."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sqlalchemy import select

from classifiers import Prediction, Tagger, train_unit_model
from monitor import models
from monitor.pipeline.route import route_posts, route_text, route_texts

NO_KEYWORD = "the grass at the corner has not been cut for months"  # matches no catalogue term


@dataclass
class FixedUnitModel:
    """A stand-in unit model that always answers the same unit with the same confidence."""

    label: str
    confidence: float
    calls: int = 0

    def predict(self, texts, *, normalized=None):
        self.calls += 1
        return [Prediction(self.label, self.confidence) for _ in texts]


def test_the_unit_model_decides_when_no_rule_matched_and_it_is_sure(catalogue):
    routing = route_text(NO_KEYWORD, "complaint", replace(catalogue, unit_model=FixedUnitModel("municipal", 0.83)))
    assert (routing.unit, routing.rule) == ("municipal", "model:municipal:0.83")


def test_an_unsure_unit_model_leaves_the_post_to_triage(catalogue):
    unsure = replace(catalogue, unit_model=FixedUnitModel("municipal", catalogue.unit_threshold - 0.01))
    routing = route_text(NO_KEYWORD, "complaint", unsure)
    assert routing.unit == "triage"
    assert routing.rule.startswith("no rule matched; model unsure (municipal:")


def test_rules_beat_the_unit_model(catalogue):
    model = FixedUnitModel("municipal", 0.99)
    routing = route_text("huge pothole on our street", "complaint", replace(catalogue, unit_model=model))
    assert (routing.unit, routing.rule) == ("roads", "keywords:roads:2")
    assert model.calls == 0


def test_a_unit_the_catalogue_no_longer_lists_goes_to_triage(catalogue):
    routing = route_text(NO_KEYWORD, "complaint", replace(catalogue, unit_model=FixedUnitModel("parks", 0.99)))
    assert routing.unit == "triage"


def test_a_batch_asks_the_model_once_for_the_unmatched_posts_only(catalogue):
    model = FixedUnitModel("municipal", 0.9)
    routings = route_texts(["pothole again", NO_KEYWORD, NO_KEYWORD], ["complaint"] * 3,
                           replace(catalogue, unit_model=model))
    assert [r.unit for r in routings] == ["roads", "municipal", "municipal"] and model.calls == 1


def test_urgent_terms_raise_priority_whoever_decides_the_unit(catalogue):
    routing = route_text("a fire near the corner shop", "complaint",
                         replace(catalogue, unit_model=FixedUnitModel("municipal", 0.9)))
    assert (routing.unit, routing.priority) == ("municipal", "urgent")


@pytest.fixture(scope="module")
def unit_model() -> Tagger:
    texts = ["the grass is not cut", "grass too long in the playground", "cut the grass please",
             "my internet is slow", "internet down again", "slow internet all day"]
    pipeline, card = train_unit_model(texts, ["municipal"] * 3 + ["triage"] * 3)
    return Tagger(pipeline, card)


def test_route_posts_uses_a_real_unit_model(session, catalogue, unit_model, now):
    channel = models.Channel(name="route-model", kind="replay", config={})
    session.add(channel)
    session.flush()
    session.add(models.Post(channel_id=channel.id, external_id="1", conversation_id="1", text=NO_KEYWORD,
                            posted_at=now, category="complaint", confidence=0.9, stage="classified"))
    session.commit()
    route_posts(session, replace(catalogue, unit_model=unit_model, unit_threshold=0.0))
    post = session.scalar(select(models.Post).where(models.Post.channel_id == channel.id))
    assert post.route_rule.startswith("model:municipal:") and post.stage == "routed"
    assert post.unit_id == session.scalar(select(models.Unit.id).where(models.Unit.slug == "municipal"))
