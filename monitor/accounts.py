"""Users and their passwords (argon2 via argon2-cffi)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

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


def update_user(
    session: Session, user: models.User, *, role: str, unit: models.Unit | None, active: bool
) -> None:
    """Change a user's role, unit or whether they may sign in."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if role == "unit" and unit is None:
        raise AccountError("a unit user needs a unit")
    user.role, user.unit_id, user.active = role, unit.id if unit else None, active


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

THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)


def throttled_until(session: Session, username: str, *, now: datetime) -> datetime | None:
    """After five failed sign-ins for a name within 15 minutes, further tries wait out the window."""
    recent = session.scalars(
        select(models.LoginFailure.created_at)
        .where(models.LoginFailure.username == username, models.LoginFailure.created_at > now - THROTTLE_WINDOW)
        .order_by(models.LoginFailure.created_at.desc()).limit(THROTTLE_FAILURES)
    ).all()
    if len(recent) < THROTTLE_FAILURES:
        return None
    return recent[-1] + THROTTLE_WINDOW


def record_failure(session: Session, username: str, remote: str, *, now: datetime) -> None:
    session.add(models.LoginFailure(username=username[:80], remote=remote[:64], created_at=now))
    session.commit()


def create_token(session: Session, user: models.User, name: str, *, now: datetime) -> str:
    """A new API token for ``user``: returned once, stored only as its SHA-256."""
    token = secrets.token_urlsafe(32)
    session.add(models.ApiToken(user_id=user.id, name=name, token_hash=token_digest(token), created_at=now))
    session.flush()
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_in_use(session: Session, token: str) -> tuple[models.ApiToken, models.User] | None:
    """The live token row and its active user, or None; reads only."""
    row = session.scalar(select(models.ApiToken).where(models.ApiToken.token_hash == token_digest(token),
                                                       models.ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = session.get(models.User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def token_used_stale(row: models.ApiToken, *, now: datetime) -> bool:
    """Whether the token's last use is worth writing: at most once every five minutes, not per request."""
    return row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5)
