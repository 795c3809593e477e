"""Learning from the review queue: reviewers' corrections become training data.

`record_correction` is the one function the queue calls when a reviewer changes a post's
tag or unit. `training_corpus` merges the stored corrections into the shipped corpus for
`monitor train` and the nightly retrain job, which hand it to `classifiers.promotion`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from classifiers import load_labeled
from monitor import models
from monitor.db import make_engine
from monitor.errors import MonitorError
from monitor.migrations import current_revision, head_revision
from monitor.sla import SlaRules

TAGS = ("complaint", "praise", "inquiry", "other")
CORRECTION = "correction"


class CorrectionError(MonitorError):
    """A correction names an unknown tag or unit, or changes nothing it could."""


def record_correction(
    session: Session, post: models.Post, *, label: str | None = None, unit: str | None = None,
    user: models.User, now: datetime, sla_rules: SlaRules | None = None,
) -> models.LabeledExample | None:
    """Apply a reviewer's tag and/or unit (slug) to `post` and its case, and commit.

    Stores a `LabeledExample` (who, when) and one event per changed field
    (``tag_corrected``, ``unit_corrected``, with before and after). A value equal to the
    current one is no change (but a tag equal to the model's tag is a reviewer's confirmation:
    it becomes human and training data); with no change at all nothing is written and None
    is returned.
    With `sla_rules`, the case's SLA due time is recomputed for its new tag and unit at once
    (otherwise the next SLA sweep does it).
    """
    post = session.scalars(select(models.Post).where(models.Post.id == post.id).with_for_update()
                           .execution_options(populate_existing=True)).one()
    unit_row = _unit(session, unit)
    if label is not None and label not in TAGS:
        raise CorrectionError(f"unknown tag {label!r}: use one of {', '.join(TAGS)}")
    new_label = label if label is not None and (label != post.category or post.category_source != "human") else None
    new_unit = unit_row if unit_row is not None and unit_row.id != post.unit_id else None
    if new_label is None and new_unit is None:
        return None
    if new_label is not None:
        _set_tag(session, post, new_label, user, now)
    if new_unit is not None:
        _set_unit(session, post, new_unit, user, now)
    if sla_rules is not None and post.case is not None:
        _recompute_sla(session, post.case, sla_rules)
    example = models.LabeledExample(
        post_id=post.id, text=post.text, label=new_label, unit_slug=new_unit.slug if new_unit else None,
        language=post.language, source=CORRECTION, created_by_id=user.id, created_at=now,
    )
    session.add(example)
    session.commit()
    return example


def _unit(session: Session, slug: str | None) -> models.Unit | None:
    if slug is None:
        return None
    row = session.scalar(select(models.Unit).where(models.Unit.slug == slug, models.Unit.active))
    if row is None:
        raise CorrectionError(f"unknown unit {slug!r}")
    return row


def _set_tag(session: Session, post: models.Post, label: str, user: models.User, now: datetime) -> None:
    before = {"category": post.category, "category_source": post.category_source}
    post.category, post.category_source = label, "human"
    if post.case is not None:
        before["case_category"] = post.case.category
        post.case.category, post.case.needs_review = label, False
    _event(session, post, "tag_corrected", user, now, before, {"category": label, "category_source": "human"})


def _set_unit(session: Session, post: models.Post, unit: models.Unit, user: models.User, now: datetime) -> None:
    old = session.get(models.Unit, post.unit_id) if post.unit_id else None
    before = {"unit": old.slug if old else None, "route_rule": post.route_rule}
    post.unit_id, post.route_rule = unit.id, f"corrected by {user.username}"
    if post.case is not None:
        post.case.unit_id = unit.id
    _event(session, post, "unit_corrected", user, now, before, {"unit": unit.slug, "route_rule": post.route_rule})


def _recompute_sla(session: Session, case: models.Case, sla_rules: SlaRules) -> None:
    unit = session.get(models.Unit, case.unit_id) if case.unit_id else None
    case.sla_due_at = sla_rules.due_at_opening(case.first_post_at, tag=case.category, priority=case.priority,
                                               unit=unit.slug if unit else None)


def _event(session: Session, post: models.Post, action: str, user: models.User, now: datetime,
           before: dict[str, Any], after: dict[str, Any]) -> None:
    session.add(models.Event(case_id=post.case_id, post_id=post.id, actor_id=user.id, action=action,
                             before=before, after=after, created_at=now))


def load_corrections(session: Session) -> pd.DataFrame:
    """Every stored correction, oldest first, as columns text, label, unit, lang, source."""
    rows = session.execute(
        select(models.LabeledExample.text, models.LabeledExample.label, models.LabeledExample.unit_slug,
               models.LabeledExample.language)
        .order_by(models.LabeledExample.created_at, models.LabeledExample.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["text", "label", "unit", "lang"], dtype=object)
    frame["source"] = CORRECTION
    return frame.fillna("")


def stored_corrections(db_url: str) -> pd.DataFrame | None:
    """The corrections in the database at `db_url`; None if it is absent, unreachable or not migrated."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return None
    engine = make_engine(db_url)
    try:
        if current_revision(engine) != head_revision():
            return None
        with Session(engine) as session:
            return load_corrections(session)
    except OperationalError:
        return None
    finally:
        engine.dispose()


def training_corpus(labeled_dir: Path, corrections: pd.DataFrame | None = None) -> pd.DataFrame:
    """The shipped corpus with the corrections merged in.

    Rows are matched by their exact (stripped) text. A correction's label or unit, when
    given, replaces the shipped one (the latest correction wins); the row keeps its
    shipped source, so the fixed evaluation split still knows it. Texts that are not in
    the corpus become new rows with source ``correction``.
    """
    shipped = load_labeled(labeled_dir).reset_index(drop=True)
    if corrections is None or corrections.empty:
        return shipped
    latest: dict[str, dict[str, Any]] = {}
    for row in corrections.to_dict("records"):
        entry = latest.setdefault(str(row["text"]).strip(), {
            "text": row["text"], "label": "", "unit": "", "lang": row["lang"], "source": CORRECTION})
        entry.update({column: row[column] for column in ("label", "unit") if row[column]})
    keys, new = shipped["text"].str.strip(), []
    for key, entry in latest.items():
        match = keys == key
        if not match.any():
            new.append(entry)
            continue
        for column in ("label", "unit"):
            if entry[column]:
                shipped.loc[match, column] = entry[column]
    if not new:
        return shipped
    return pd.concat([shipped, pd.DataFrame(new, columns=shipped.columns)], ignore_index=True)
