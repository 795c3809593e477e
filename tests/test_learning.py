"""Reviewers' corrections become training data: stored with who and when, audited, merged into training."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from monitor import models
from monitor.accounts import add_user
from monitor.learning import CorrectionError, load_corrections, record_correction, training_corpus


@pytest.fixture
def officer(session):
    user = add_user(session, "officer", "agent", "correct horse battery staple")
    session.commit()
    return user


@pytest.fixture
def post(session, now):
    channel = models.Channel(name="learning-test", kind="replay", config={})
    session.add(channel)
    session.flush()
    units = dict(session.execute(select(models.Unit.slug, models.Unit.id)).all())
    case = models.Case(channel_id=channel.id, conversation_id="c1", category="praise", confidence=0.4,
                       needs_review=True, unit_id=units["triage"], language="en", first_post_at=now,
                       last_post_at=now, sla_due_at=now + timedelta(hours=72))
    session.add(case)
    session.flush()
    row = models.Post(channel_id=channel.id, external_id="1", conversation_id="c1", text="thanks for the lovely hole",
                      language="en", posted_at=now, category="praise", confidence=0.4, category_source="model",
                      unit_id=units["triage"], route_rule="no rule matched", stage="queued", case_id=case.id)
    session.add(row)
    session.commit()
    return row


def test_a_tag_correction_is_stored_with_who_and_when_and_an_event(session, post, officer, now):
    example = record_correction(session, post, label="complaint", user=officer, now=now)
    assert (example.text, example.label, example.unit_slug) == ("thanks for the lovely hole", "complaint", None)
    assert (example.created_by_id, example.created_at, example.post_id) == (officer.id, now, post.id)
    assert (post.category, post.category_source) == ("complaint", "human")
    assert (post.case.category, post.case.needs_review) == ("complaint", False)
    [event] = session.scalars(select(models.Event).where(models.Event.post_id == post.id)).all()
    assert (event.action, event.actor_id, event.created_at) == ("tag_corrected", officer.id, now)
    assert event.before["category"] == "praise" and event.after["category"] == "complaint"


def test_a_unit_correction_moves_the_post_and_its_case(session, post, officer, now, sla_rules):
    record_correction(session, post, label="complaint", unit="roads", user=officer, now=now, sla_rules=sla_rules)
    roads = session.scalar(select(models.Unit).where(models.Unit.slug == "roads"))
    assert post.unit_id == roads.id and post.case.unit_id == roads.id
    assert post.route_rule == "corrected by officer"
    # a complaint's first response: 240 business minutes from Wednesday 12:00 (Bahrain): Thursday 09:00
    assert post.case.sla_due_at == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    actions = session.scalars(select(models.Event.action).where(models.Event.post_id == post.id)
                              .order_by(models.Event.id)).all()
    assert actions == ["tag_corrected", "unit_corrected"]
    [example] = session.scalars(select(models.LabeledExample)).all()
    assert (example.label, example.unit_slug) == ("complaint", "roads")


def test_a_correction_that_changes_nothing_writes_nothing(session, post, officer, now):
    record_correction(session, post, label="complaint", user=officer, now=now)
    assert record_correction(session, post, label="complaint", unit="triage", user=officer, now=now) is None
    assert len(session.scalars(select(models.LabeledExample)).all()) == 1


@pytest.mark.parametrize(("label", "unit", "message"),
                         [("angry", None, "unknown tag"), (None, "space", "unknown unit")])
def test_an_unknown_tag_or_unit_is_refused(session, post, officer, now, label, unit, message):
    with pytest.raises(CorrectionError, match=message):
        record_correction(session, post, label=label, unit=unit, user=officer, now=now)
    assert session.scalars(select(models.LabeledExample)).all() == []


def test_training_includes_the_corrections_which_override_the_shipped_label(session, post, officer, now, tmp_path):
    shipped = pd.DataFrame({"text": ["thanks for the lovely hole", "road closed again"],
                            "label": ["praise", "complaint"],
                            "unit": ["triage", "roads"], "lang": ["en", "en"], "source": ["written", "written"]})
    shipped.to_csv(tmp_path / "written.csv", index=False)
    record_correction(session, post, label="complaint", unit="roads", user=officer, now=now)
    post.text = "a brand new text"  # a second correction of another text adds a row
    record_correction(session, post, label="inquiry", user=officer, now=now + timedelta(minutes=1))
    corpus = training_corpus(tmp_path, load_corrections(session))
    rows = {row["text"]: (row["label"], row["unit"], row["source"]) for row in corpus.to_dict("records")}
    assert rows == {"thanks for the lovely hole": ("complaint", "roads", "written"),
                    "road closed again": ("complaint", "roads", "written"),
                    "a brand new text": ("inquiry", "", "correction")}
