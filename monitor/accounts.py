"""Users and their passwords (argon2 via argon2-cffi)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import models
from monitor.errors import MonitorError

ROLES = ("admin", "supervisor", "agent", "unit", "viewer")

_hasher = PasswordHasher()


class AccountError(MonitorError):
    """A user cannot be created or changed as asked."""


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def add_user(
    session: Session, username: str, role: str, password: str, *, unit: models.Unit | None = None
) -> models.User:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if role == "unit" and unit is None:
        raise AccountError("a unit user needs --unit")
    if session.scalar(select(models.User.id).where(models.User.username == username)) is not None:
        raise AccountError(f"user {username!r} exists already")
    user = models.User(username=username, role=role, password_hash=_hasher.hash(password),
                       unit_id=unit.id if unit else None)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> models.User | None:
    """The active user with this name and password, or None (same cost either way)."""
    user = session.scalar(select(models.User).where(models.User.username == username))
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
