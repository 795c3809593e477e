"""Who may do what: one table of roles and actions, plus unit scoping.

``admin`` manages users, units, channels and templates; ``supervisor`` sees all
units and approves replies; ``agent`` works the queue; ``unit`` sees and acts on
its own unit's cases only; ``viewer`` reads the queue and dashboards.
"""

from __future__ import annotations

from monitor import models

VIEW, WORK, REPLY, APPROVE, ADMIN = "view", "work", "reply", "approve", "admin"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({VIEW, WORK, REPLY, APPROVE, ADMIN}),
    "supervisor": frozenset({VIEW, WORK, REPLY, APPROVE}),
    "agent": frozenset({VIEW, WORK, REPLY}),
    "unit": frozenset({VIEW, WORK, REPLY}),
    "viewer": frozenset({VIEW}),
}


def can(user: models.User, permission: str, case: models.Case | None = None) -> bool:
    """True if ``user`` holds ``permission`` (on ``case``, when given)."""
    if permission not in ROLE_PERMISSIONS.get(user.role, frozenset()):
        return False
    return case is None or sees_case(user, case)


def sees_case(user: models.User, case: models.Case) -> bool:
    return user.role != "unit" or (user.unit_id is not None and case.unit_id == user.unit_id)
