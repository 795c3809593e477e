"""The `monitor` command. A user's mistake gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from monitor import models
from monitor.errors import ConfigError, MonitorError
from monitor.settings import Settings, load_settings

app = typer.Typer(help="Engagement monitor for the ministry's social channels.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
out = Console(soft_wrap=True)
err = Console(stderr=True)


def main() -> None:
    try:
        app()
    except MonitorError as exc:
        _fail(str(exc))
    except OperationalError as exc:
        _fail(f"database unreachable or not usable: {exc.orig}")


def _fail(message: str) -> None:
    err.print("error: " + " ".join(message.split()), markup=False, highlight=False, soft_wrap=True)
    sys.exit(1)


def _settings(**overrides: object) -> Settings:
    settings = load_settings(**overrides)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return settings


def _services(settings: Settings, *, migrated: bool = True):  # type: ignore[no-untyped-def]
    from monitor.migrations import current_revision, head_revision
    from monitor.services import Services

    services = Services(settings)
    if migrated and current_revision(services.engine) != head_revision():
        raise ConfigError("the database schema is not current: run `monitor migrate` first")
    return services


@app.command()
def migrate() -> None:
    """Apply database migrations and sync the unit catalogue and the demo channel."""
    from monitor.bootstrap import ensure_demo_channel, sync_units
    from monitor.migrations import upgrade_database

    settings = _settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    services = _services(settings, migrated=False)
    upgrade_database(services.engine)
    with services.sessions() as session:
        sync_units(session, services.catalogue)
        ensure_demo_channel(session, settings)
    out.print("database is current")


@app.command()
def train() -> None:
    """Train the tagger on data/labeled/ and make it the current model."""
    _train(_settings())


def _train(settings: Settings) -> None:
    from classifiers import load_labeled, save_model, train_model

    with out.status("training the tagger on data/labeled/ ..."):
        corpus = load_labeled(settings.data_dir / "labeled")
        pipeline, card = train_model(corpus["text"].tolist(), corpus["label"].tolist())
        save_model(pipeline, settings.model_path, card)
    metrics = card.get("metrics", {})
    out.print(f"model {card['version']} trained on {card['n_train']} posts; "
              f"cross-validated macro-F1 on the training corpus {metrics.get('macro_f1', float('nan')):.3f}; "
              f"saved to {settings.model_path}")


@app.command()
def classify(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL with a `text` column.")],
    output: Annotated[Path | None, typer.Option(help="Where to write (CSV or JSONL by suffix); default stdout CSV.")] = None,
) -> None:
    """Tag every row of FILE; writes every input column plus `label` and `confidence`."""
    from monitor.tagging import classify_file

    from classifiers import load_model

    settings = _settings()
    classify_file(file, output, load_model(settings.model_path))


@app.command()
def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll once, process what arrived, and exit.")] = False,
    channel: Annotated[str | None, typer.Option(help="Only this channel (by name).")] = None,
) -> None:
    """Poll channels once and run the inbound pipeline (ingest, classify, route, queue)."""
    from monitor.channels import build_channel
    from monitor.pipeline import process_inbound
    from monitor.pipeline.poll import poll_channel

    if not once:
        raise ConfigError("continuous polling is the worker's job: use `monitor worker`, or `monitor poll --once`")
    services = _services(_settings())
    with services.sessions() as session:
        query = select(models.Channel).where(models.Channel.enabled)
        if channel is not None:
            query = select(models.Channel).where(models.Channel.name == channel)
        rows = session.scalars(query.order_by(models.Channel.id)).all()
        if channel is not None and not rows:
            raise ConfigError(f"unknown channel {channel!r}")
        for row in rows:
            outcome = poll_channel(session, row, build_channel(row.kind, row.config, data_dir=services.settings.data_dir),
                                   now=datetime.now(UTC))
            out.print(f"{row.name}: {outcome.pages} page(s), {outcome.posts} post(s)"
                      + (f", error: {outcome.error}" if outcome.error else ""))
        process_inbound(session, services.tagger, services.catalogue,
                        review_threshold=services.settings.review_threshold, now=datetime.now(UTC))


@app.command()
def metrics() -> None:
    """Print first response times and volumes."""
    from monitor.metrics import compute_metrics

    services = _services(_settings())
    with services.sessions() as session:
        tables = compute_metrics(session)
    for name, frame in tables.items():
        table = Table(title=name.replace("_", " "))
        for column in frame.columns:
            table.add_column(str(column))
        for values in frame.itertuples(index=False):
            table.add_row(*(f"{value:.1f}" if isinstance(value, float) else str(value) for value in values))
        out.print(table)


@app.command()
def worker() -> None:
    """Run the scheduler process (polls, inbound pipeline, reply outbox)."""
    from monitor.worker import build_scheduler

    services = _services(_settings())
    services.tagger  # a model that fails its audit stops start-up here  # noqa: B018
    scheduler = build_scheduler(services)
    # SIGTERM/SIGINT: start no new jobs, let the running batch finish, then exit.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: scheduler.shutdown(wait=False))
    out.print("worker started")
    scheduler.start()


@app.command()
def web(port: Annotated[int | None, typer.Option(help="Port (default MONITOR_WEB_PORT).")] = None) -> None:
    """Serve the web app."""
    _serve(_services(_settings()), port)


def _serve(services, port: int | None) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from monitor.web.app import create_app

    settings = services.settings
    uvicorn.run(create_app(services), host=settings.web_host, port=port or settings.web_port,
                log_level=settings.log_level.lower())


@app.command()
def run(port: Annotated[int | None, typer.Option(help="Port (default MONITOR_WEB_PORT).")] = None) -> None:
    """The embedded default: migrate, train if needed, then serve the web app and run the worker."""
    from monitor.bootstrap import ensure_first_admin

    settings = _settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.secret_key is None and settings.secret_key_file is None:
        settings = _settings(secret_key_file=_local_secret(settings.home))
    migrate()
    if not settings.model_path.exists():
        _train(settings)
    services = _services(settings)
    with services.sessions() as session:
        password = ensure_first_admin(session)
    url = f"http://{settings.web_host}:{port or settings.web_port}/"
    out.print(f"\nqueue: {url}")
    if password:
        out.print(f"login: admin / {password}   (shown once; add users with `monitor user add`)\n")
    env = {**os.environ, "MONITOR_SECRET_KEY_FILE": str(settings.secret_key_file or "")}
    if settings.secret_key is not None:
        env.pop("MONITOR_SECRET_KEY_FILE")
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into an exception
    # so the `finally` below stops the worker too instead of leaving it orphaned.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    child = subprocess.Popen([sys.executable, "-m", "monitor", "worker"], env=env)
    try:
        _serve(services, port)
    finally:
        child.terminate()
        child.wait(timeout=60)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _local_secret(home: Path) -> Path:
    """The embedded default keeps its cookie key in MONITOR_HOME, created once, readable by the owner only."""
    path = home / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help="admin, supervisor, agent, unit or viewer.")],
    unit: Annotated[str | None, typer.Option(help="Unit slug, for role `unit`.")] = None,
) -> None:
    """Add a user with a generated password, printed once."""
    from monitor.accounts import add_user, generate_password

    services = _services(_settings())
    with services.sessions() as session:
        unit_row = None
        if unit is not None:
            unit_row = session.scalar(select(models.Unit).where(models.Unit.slug == unit))
            if unit_row is None:
                raise ConfigError(f"unknown unit {unit!r}")
        password = generate_password()
        add_user(session, name, role, password, unit=unit_row)
        session.commit()
    out.print(f"user {name} ({role}) added; password: {password}", markup=False, highlight=False)
