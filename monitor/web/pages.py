"""Rendering pages: templates, the session's language and direction, and its CSRF token."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from monitor.web.i18n import DIRECTION, pick_language, translations

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.autoescape = True  # posts are untrusted: escape everything, always


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def render(request: Request, name: str, context: dict, *, status_code: int = 200) -> HTMLResponse:
    """Render a page in the session's language, with its direction and gettext."""
    language = pick_language(request.session.get("lang"))
    base = {
        "lang": language, "dir": DIRECTION[language], "_": _gettext(language),
        "csrf_token": csrf_token(request), "user": getattr(request.state, "user", None),
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _gettext(language: str):  # type: ignore[no-untyped-def]
    """gettext with named placeholders: _("in %(n)s minutes", n=3)."""
    strings = translations(language)

    def translate(message: str, **values: object) -> str:
        text = strings.gettext(message)
        return text % values if values else text

    return translate
