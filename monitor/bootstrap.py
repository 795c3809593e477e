"""First-start set-up: units from the catalogue, the demo channel, the first admin."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor import models
from monitor.accounts import add_user, generate_password
from monitor.pipeline.route import Catalogue
from monitor.settings import Settings

DEMO_CHANNEL = "demo"
DEMO_ACCOUNT = "WorksMinistry"


def sync_units(session: Session, catalogue: Catalogue) -> None:
    """Create or rename units to match the catalogue; units no longer listed become inactive."""
    existing = {unit.slug: unit for unit in session.scalars(select(models.Unit))}
    for rule in catalogue.units:
        unit = existing.pop(rule.slug, None) or models.Unit(slug=rule.slug)
        unit.name_ar, unit.name_en, unit.active = rule.name_ar, rule.name_en, True
        session.add(unit)
    for unit in existing.values():
        unit.active = False
    session.commit()


def ensure_demo_channel(session: Session, settings: Settings) -> None:
    """The replay channel fed by the shipped demo posts, if enabled and not there yet."""
    if not settings.demo_channel:
        return
    if session.scalar(select(models.Channel.id).where(models.Channel.name == DEMO_CHANNEL)) is not None:
        return
    session.add(models.Channel(
        name=DEMO_CHANNEL, kind="replay", poll_interval_seconds=settings.poll_interval_seconds,
        config={"path": "demo/posts.jsonl", "release_per_poll": settings.replay_release_per_poll,
                "page_size": 100, "account_handle": DEMO_ACCOUNT},
    ))
    session.commit()


def ensure_first_admin(session: Session) -> str | None:
    """With no users at all, create ``admin`` with a random password and return it (shown once)."""
    if session.scalar(select(func.count()).select_from(models.User)):
        return None
    password = generate_password()
    add_user(session, "admin", "admin", password)
    session.commit()
    return password
