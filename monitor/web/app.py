"""create_app: the FastAPI application, a thin shell over the database and the stage functions."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from monitor.services import Services
from monitor.web import admin, api, auth, cases, dashboard, health, queue
from monitor.web.pages import render

HERE = Path(__file__).resolve().parent
SESSION_MAX_AGE = 12 * 3600


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="Engagement monitor", docs_url=None, redoc_url=None)
    app.state.services = services
    app.add_middleware(
        SessionMiddleware, secret_key=services.settings.session_secret(), session_cookie="monitor_session",
        max_age=SESSION_MAX_AGE, same_site="lax",
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(queue.router)
    app.include_router(cases.router)
    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(dashboard.router)

    @app.exception_handler(auth.LoginRequired)
    async def _to_login(request: Request, _exc: auth.LoginRequired) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _error_page(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                      status_code=exc.status_code)

    return app
