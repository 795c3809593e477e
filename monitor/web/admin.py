"""The admin page: users, their roles and units (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import models
from monitor.accounts import ROLES, AccountError, add_user, generate_password, update_user
from monitor.permissions import ADMIN, can
from monitor.web.auth import current_user, db_session, require_csrf
from monitor.web.pages import render

router = APIRouter(prefix="/admin")


def admin_user(user: models.User = Depends(current_user)) -> models.User:
    if not can(user, ADMIN):
        raise HTTPException(status_code=403, detail="not allowed")
    return user


def users_page(request: Request, session: Session, *, status_code: int = 200, **extra: object) -> HTMLResponse:
    context = {
        "people": session.scalars(select(models.User).order_by(models.User.username)).all(),
        "units": session.scalars(select(models.Unit).where(models.Unit.active).order_by(models.Unit.id)).all(),
        "roles": ROLES, "created": None, "message": None, **extra,
    }
    return render(request, "admin_users.html", context, status_code=status_code)


@router.get("/users", response_class=HTMLResponse)
def list_users(request: Request, _admin: models.User = Depends(admin_user),
               session: Session = Depends(db_session)) -> HTMLResponse:
    return users_page(request, session)


def _unit(session: Session, slug: str) -> models.Unit | None:
    return session.scalar(select(models.Unit).where(models.Unit.slug == slug)) if slug else None


@router.post("/users", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def create_user(request: Request, username: str = Form(...), role: str = Form(...), unit: str = Form(""),
                _admin: models.User = Depends(admin_user), session: Session = Depends(db_session)) -> HTMLResponse:
    """Add a user; the generated password is shown once on the page that answers."""
    password = generate_password()
    try:
        add_user(session, username.strip(), role, password, unit=_unit(session, unit))
    except AccountError as exc:
        session.rollback()
        return users_page(request, session, status_code=422, message=str(exc))
    session.commit()
    return users_page(request, session, created=(username.strip(), password))


@router.post("/users/{user_id}", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def change_user(request: Request, user_id: int, role: str = Form(...), unit: str = Form(""),
                active: str = Form(""), admin: models.User = Depends(admin_user),
                session: Session = Depends(db_session)) -> HTMLResponse:
    person = session.get(models.User, user_id)
    if person is None:
        raise HTTPException(status_code=404, detail="no such user")
    if person.id == admin.id and (role != "admin" or not active):
        return users_page(request, session, status_code=422, message="you cannot remove your own admin access")
    try:
        update_user(session, person, role=role, unit=_unit(session, unit), active=bool(active))
    except AccountError as exc:
        session.rollback()
        return users_page(request, session, status_code=422, message=str(exc))
    session.commit()
    return users_page(request, session, message=f"{person.username} updated")
