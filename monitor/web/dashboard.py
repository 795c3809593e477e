"""The team's dashboard: a period's figures, charts and CSV downloads (``monitor.figures``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import charts, models
from monitor.event_log import read_logs
from monitor.figures import Period, compute_figures
from monitor.permissions import VIEW, can
from monitor.web.auth import current_user, db_session
from monitor.web.i18n import DIRECTION, pick_language, translations
from monitor.web.pages import render

router = APIRouter()
DEFAULT_DAYS = 30


def viewer(user: models.User = Depends(current_user)) -> models.User:
    if not can(user, VIEW):
        raise HTTPException(status_code=403, detail="not allowed")
    return user


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, user: models.User = Depends(viewer),
              session: Session = Depends(db_session)) -> HTMLResponse:
    period, unit = _choice(request, session, user)
    figures = _figures(request, session, period, unit)
    language = pick_language(request.session.get("lang"))
    context = {
        "period": period, "last_day": period.end - timedelta(days=1), "unit": unit, "figures": figures,
        "units": session.scalars(select(models.Unit.slug).order_by(models.Unit.id)).all(),
        "charts": _charts(figures, language, _unit_names(session, language)),
    }
    return render(request, "dashboard.html", context)


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, table: str = "response_times", user: models.User = Depends(viewer),
                  session: Session = Depends(db_session)) -> Response:
    period, unit = _choice(request, session, user)
    figures = _figures(request, session, period, unit)
    if table not in figures:
        raise HTTPException(status_code=404, detail="no such table")
    name = f"{table}_{period.start}_{period.end - timedelta(days=1)}.csv"
    return Response(figures[table].to_csv(index=False), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _choice(request: Request, session: Session, user: models.User) -> tuple[Period, str | None]:
    """The period (``from``/``to``, both days included) and unit asked for; unit members see their own."""
    today = datetime.now(UTC).astimezone(request.app.state.services.settings.tz).date()
    try:
        last = date.fromisoformat(request.query_params.get("to") or today.isoformat())
        default_first = (last - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        first = date.fromisoformat(request.query_params.get("from") or default_first)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail="dates are written YYYY-MM-DD") from exc
    if first > last:
        raise HTTPException(status_code=422, detail="the period ends before it starts")
    unit = request.query_params.get("unit") or None
    if user.role == "unit":
        unit = session.scalar(select(models.Unit.slug).where(models.Unit.id == user.unit_id))
    return Period(first, last + timedelta(days=1)), unit


def _figures(request: Request, session: Session, period: Period, unit: str | None) -> dict[str, pd.DataFrame]:
    settings = request.app.state.services.settings
    rules = request.app.state.services.sla_rules
    low, high = period.bounds(settings.tz)
    chosen = select(models.Case.id).where(models.Case.first_post_at >= low.to_pydatetime(),
                                          models.Case.first_post_at < high.to_pydatetime())
    return compute_figures(read_logs(session, chosen), rules, period, datetime.now(UTC), unit)


def _charts(figures: dict[str, pd.DataFrame], language: str, names: dict[str, str]) -> dict[str, object]:
    _, rtl = translations(language).gettext, DIRECTION[language] == "rtl"
    weeks = figures["volume_by_week_and_tag"]
    tags = [column for column in weeks.columns if column != "week"]
    by_unit, hit = figures["first_response_by_unit"], figures["sla_hit_rate_by_unit"]
    backlog = figures["backlog_by_age"]
    units = [names.get(slug, slug) for slug in by_unit["unit"]]
    return {
        "weeks": charts.column_chart(_("Cases by week and tag"), [w[5:10] for w in weeks["week"]],
                                     {_(tag): weeks[tag].tolist() for tag in tags}, rtl=rtl),
        "median": charts.bar_chart(_("First response, median business minutes"), units,
                                   _values(by_unit["business_median"]), rtl=rtl),
        "p90": charts.bar_chart(_("First response, 90th percentile business minutes"), units,
                                _values(by_unit["business_p90"]), rtl=rtl),
        "hit": charts.bar_chart(_("SLA hit rate"), [names.get(slug, slug) for slug in hit["unit"]],
                                _values(hit["hit_rate"] * 100), rtl=rtl, suffix="%"),
        "backlog": charts.bar_chart(_("Open cases by age"), backlog["age"].astype(str).tolist(),
                                    _values(backlog["cases"]), rtl=rtl),
    }


def _unit_names(session: Session, language: str) -> dict[str, str]:
    rows = session.execute(select(models.Unit.slug, models.Unit.name_ar, models.Unit.name_en)).all()
    return {slug: name_ar if language == "ar" else name_en for slug, name_ar, name_en in rows}


def _values(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else float(value) for value in series]
