"""What a person can do to a case: claim, assign, escalate, dismiss, resolve, reopen.

Every change writes an event (who, when, before, after). Conflicts are settled by
the database: a claim is a conditional update, and every other change goes
through the case's version column, so a form built on an older version of the
case is refused instead of overwriting someone else's change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from monitor import models
from monitor.errors import MonitorError
from monitor.models import CLOSED_STATUSES, OPEN_STATUSES

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "escalate": (("new", "triaged", "in_progress", "replied"), "escalated"),
    "dismiss": (OPEN_STATUSES, "dismissed"),
    "resolve": (OPEN_STATUSES, "resolved"),
    "reopen": (CLOSED_STATUSES, "in_progress"),
}


class CaseActionError(MonitorError):
    """The action does not fit the case as it is now."""


class StaleCase(CaseActionError):
    """The case changed since the form was opened."""


def check_version(case: models.Case, version: int | None) -> None:
    if version is not None and version != case.version:
        raise StaleCase(f"case {case.reference} changed since you opened it; reload to see the changes")


def claim_case(session: Session, case: models.Case, user: models.User, *, now: datetime) -> None:
    """Take the case; refused when someone else holds it (decided by one conditional update)."""
    before = {"assignee_id": case.assignee_id, "status": case.status}
    claimed = session.execute(
        update(models.Case)
        .where(models.Case.id == case.id, or_(models.Case.assignee_id.is_(None), models.Case.assignee_id == user.id))
        .values(assignee_id=user.id, version=models.Case.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        session.refresh(case)
        holder = session.get(models.User, case.assignee_id) if case.assignee_id else None
        raise CaseActionError(f"case {case.reference} is already claimed by {holder.username if holder else 'someone'}")
    session.refresh(case)
    if case.status in ("new", "triaged"):
        case.status = "in_progress"
    record(session, case, "claimed", user, now, before=before,
           after={"assignee_id": user.id, "status": case.status})
    session.commit()


def assign_case(
    session: Session, case: models.Case, assignee: models.User | None, *, by: models.User, now: datetime,
    version: int | None,
) -> None:
    check_version(case, version)
    before = {"assignee_id": case.assignee_id}
    case.assignee_id = assignee.id if assignee else None
    record(session, case, "assigned", by, now, before=before, after={"assignee_id": case.assignee_id})
    session.commit()


def move_case(
    session: Session, case: models.Case, action: str, *, by: models.User, now: datetime, version: int | None
) -> None:
    """Escalate, dismiss, resolve or reopen."""
    check_version(case, version)
    sources, target = TRANSITIONS[action]
    if case.status not in sources:
        raise CaseActionError(f"a {case.status} case cannot be {action}d")
    before = {"status": case.status}
    case.status = target
    if action == "resolve":
        case.resolved_at = now
    if action == "reopen":
        case.resolved_at = None
    if action == "escalate" and case.priority in ("low", "normal"):
        case.priority = "high"
    record(session, case, action + "d" if action.endswith("e") else action + "ed", by, now, before=before,
           after={"status": case.status, "priority": case.priority})
    session.commit()


def record(
    session: Session, case: models.Case, action: str, actor: models.User | None, now: datetime,
    *, before: dict | None, after: dict | None,
) -> None:
    session.add(models.Event(case_id=case.id, actor_id=actor.id if actor else None, action=action,
                             before=before, after=after, created_at=now))
