"""Sign-in, sign-out, CSRF tokens and the current user."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import update
from sqlalchemy.orm import Session

from monitor import models
from monitor.accounts import authenticate, record_failure, throttled_until
from monitor.web.i18n import LANGUAGES
from monitor.web.pages import render

router = APIRouter()


class LoginRequired(Exception):
    """A view needs a signed-in user."""


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session(request: Request):  # type: ignore[no-untyped-def]
    """The request's session: a read-only snapshot for GET and HEAD, read-write otherwise.

    Reads then never queue behind the worker's batches for SQLite's write lock. A GET that
    records something (presence, the language choice) writes through `write_session`.
    """
    services = request.app.state.services
    factory = services.read_sessions if request.method in SAFE_METHODS else services.sessions
    with factory() as session:
        yield session


@contextmanager
def write_session(request: Request, session: Session) -> Iterator[Session]:
    """Where a request's incidental write goes; the caller commits.

    A POST's own session is read-write (and on SQLite already holds the write lock, so a
    second transaction would wait for it): the write goes there. A GET's session only
    reads, so the write gets a short transaction of its own.
    """
    if request.method not in SAFE_METHODS:
        yield session
        return
    with request.app.state.services.sessions() as writer:
        yield writer


def current_user(request: Request, session: Session = Depends(db_session)) -> models.User:
    user_id = request.session.get("user_id")
    user = session.get(models.User, user_id) if user_id else None
    if user is None or not user.active:
        request.session.pop("user_id", None)
        raise LoginRequired()
    request.state.user = user
    return user


async def require_csrf(request: Request) -> None:
    """Every state-changing form carries the session's token; anything else is refused."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"error": None})


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request, username: str = Form(""), password: str = Form(""), session: Session = Depends(db_session)
):  # type: ignore[no-untyped-def]
    now, name = datetime.now(UTC), username.strip()
    until = throttled_until(session, name, now=now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        return render(request, "login.html", {"error": "throttled", "minutes": minutes}, status_code=429)
    user = authenticate(session, name, password)
    if user is None:
        record_failure(session, name, request.client.host if request.client else "", now=now)
        return render(request, "login.html", {"error": "wrong"}, status_code=401)
    user.last_login_at = now
    session.commit()
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["lang"] = user.language
    return RedirectResponse("/", status_code=303)


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{language}")
def switch_language(language: str, request: Request, session: Session = Depends(db_session)) -> RedirectResponse:
    """Switch the interface language; a signed-in user keeps the choice."""
    if language in LANGUAGES:
        request.session["lang"] = language
        user = session.get(models.User, request.session.get("user_id") or 0)
        if user is not None:
            with write_session(request, session) as writer:
                writer.execute(update(models.User).where(models.User.id == user.id).values(language=language))
                writer.commit()
    return RedirectResponse("/", status_code=303)
