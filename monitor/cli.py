"""The `monitor` command. A user's mistake gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from classifiers import ModelError
from monitor import models
from monitor.cli_channels import channel_app, x_app
from monitor.cli_models import model_app
from monitor.errors import ConfigError, MonitorError
from monitor.settings import Settings, load_settings

app = typer.Typer(help="Engagement monitor for the ministry's social channels.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(model_app, name="model")
app.add_typer(channel_app, name="channel")
app.add_typer(x_app, name="x")
out = Console(soft_wrap=True)
err = Console(stderr=True)


def main() -> None:
    try:
        app()
    except (MonitorError, ModelError) as exc:
        _fail(str(exc))
    except OperationalError as exc:
        _fail(f"database unreachable or not usable: {exc.orig}")


def _fail(message: str) -> None:
    err.print("error: " + " ".join(message.split()), markup=False, highlight=False, soft_wrap=True)
    sys.exit(1)


def _settings(**overrides: object) -> Settings:
    from monitor.logs import configure_logging

    settings = load_settings(**overrides)
    configure_logging(settings)
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
def train(force: Annotated[bool, typer.Option("--force", help="Make it current even if it is worse.")] = False) -> None:
    """Train tagger and unit model on data/labeled/ and the reviewers' corrections; promote if not worse."""
    _train(_settings(), force=force)


def _train(settings: Settings, *, force: bool = False) -> None:
    from classifiers import retrain
    from monitor.learning import stored_corrections, training_corpus

    corrections = stored_corrections(settings.db_url)
    corpus = training_corpus(settings.data_dir / "labeled", corrections)
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as bar:  # one step after another, total unknown
        step = bar.add_task("training on data/labeled/ and the corrections ...", total=None)
        decision = retrain(settings.models_dir, corpus, force=force,
                           progress=lambda message: bar.update(step, description=message))
    count = "no database corrections (database absent or not migrated)" if corrections is None else \
        f"{len(corrections)} correction(s) from the database"
    out.print(f"model {decision['version']} trained on {len(corpus)} posts incl. {count}; saved in "
              f"{settings.models_dir}\n{'promoted' if decision['promoted'] else 'NOT promoted'}: {decision['reason']}",
              markup=False, highlight=False)


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
def evaluate(
    datasets: Annotated[Path, typer.Option(help="Public data sets (default: <repo>/../shared/datasets).")] = None,  # type: ignore[assignment]
    out_file: Annotated[Path | None, typer.Option("--out", help="Markdown to write the figures into (default: <repo>/docs/classifier.md).")] = None,
    only: Annotated[list[str] | None, typer.Option(help="Run only this protocol (repeatable), or `zero-shot`.")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small samples and 3 folds (for tests); not the real figures.")] = False,
) -> None:
    """Measure the classifier on public real data and write docs/classifier.md (every figure and its command)."""
    from classifiers.evaluate import PROTOCOLS, run_evaluation, write_markdown
    from classifiers.evaluate import Settings as EvaluationSettings

    settings = _settings()
    repo = settings.data_dir.resolve().parent
    datasets = datasets or repo.parent / "shared" / "datasets"
    if not datasets.is_dir():
        raise ConfigError(f"no data sets at {datasets}: pass --datasets DIR")
    unknown = sorted(set(only or ()) - set(PROTOCOLS))
    if unknown:
        raise ConfigError(f"unknown protocol(s) {', '.join(unknown)}; choose from {', '.join(PROTOCOLS)}")
    if quick and out_file is None:
        raise ConfigError("--quick figures are not the published ones: pass --out FILE")
    out_file = out_file or repo / "docs" / "classifier.md"
    command = "monitor evaluate" + (" --quick" if quick else "") + "".join(f" --only {name}" for name in only or [])
    job = EvaluationSettings(datasets=datasets, labeled=settings.data_dir / "labeled", quick=quick, only=tuple(only or ()))
    with out.status("evaluating ...") as status:
        report = run_evaluation(job, command, progress=status.update)
    write_markdown(report, out_file)
    out.print(f"{len(report.results)} result(s) in {report.seconds:.0f} s written to {out_file}", markup=False, highlight=False)


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
            outcome = poll_channel(session, row, build_channel(row.kind, row.config, data_dir=services.settings.data_dir,
                                                                  settings=services.settings),
                                   now=datetime.now(UTC))
            out.print(f"{row.name}: {outcome.pages} page(s), {outcome.posts} post(s)"
                      + (f", error: {outcome.error}" if outcome.error else ""))
        process_inbound(session, services.tagger, services.routing, sla_rules=services.sla_rules,
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
def report(
    period: Annotated[str, typer.Option(help="The month, as YYYY-MM.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.html, report.csv and report.json.")],
) -> None:
    """Write the public transparency report of one month."""
    from monitor.figures import Period
    from monitor.report import write_report

    try:
        chosen = Period.month(period)
    except ValueError as exc:
        raise ConfigError(f"--period must be YYYY-MM, not {period!r}") from exc
    settings = _settings()
    services = _services(settings)
    with services.sessions() as session:
        write_report(session, services.sla_rules, chosen, out_dir, datetime.now(UTC))
    out.print(f"report {period}: {out_dir / 'report.html'}, report.csv, report.json")


@app.command()
def worker() -> None:
    """Run the scheduler process (polls, inbound pipeline, reply outbox)."""
    from monitor.leader import Leadership
    from monitor.worker import run_as_leader

    settings = _settings()
    services = _services(settings)
    services.tagger, services.routing  # a model that fails its audit stops start-up here  # noqa: B018
    holder = f"{socket.gethostname()}:{os.getpid()}"
    leadership = Leadership(services.engine, holder, ttl=timedelta(seconds=settings.leader_ttl_seconds))
    stopping = threading.Event()
    # SIGTERM/SIGINT: start no new jobs, let the running batch finish, release the lease, exit.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    out.print(f"worker {holder} started; it runs jobs while it holds the leader lease")
    raise typer.Exit(run_as_leader(services, leadership, stopping))


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
    from monitor.complaints_demo import start_demo

    settings, complaints_env = start_demo(settings)
    services = _services(settings)
    with services.sessions() as session:
        password = ensure_first_admin(session)
    url = f"http://{settings.web_host}:{port or settings.web_port}/"
    out.print(f"\nqueue: {url}")
    if password:
        out.print(f"login: admin / {password}   (shown once; add users with `monitor user add`)\n")
    env = {**os.environ, "MONITOR_SECRET_KEY_FILE": str(settings.secret_key_file or ""), **complaints_env}
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



@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
) -> None:
    """Create an API token for USER; it is printed once and stored only as a hash."""
    from monitor.accounts import create_token

    services = _services(_settings())
    with services.sessions() as session:
        user = session.scalar(select(models.User).where(models.User.username == username))
        if user is None:
            raise ConfigError(f"unknown user {username!r}")
        token = create_token(session, user, name, now=datetime.now(UTC))
        session.commit()
    out.print(f"token for {username} ({name}): {token}", markup=False, highlight=False)


@app.command()
def status() -> None:
    """Channels (last poll, last error, paused until), the worker leader, queue depth, model, jobs."""
    from monitor.status import read_status

    settings = _settings()
    services = _services(settings)
    with services.sessions() as session:
        state = read_status(session)
    table = Table(title="channels")
    for column in ("name", "kind", "enabled", "last poll", "last error", "paused until", "posts", "read"):
        table.add_column(column)
    for channel in state.channels:
        table.add_row(channel.name, channel.kind, str(channel.enabled), _when(channel.last_polled_at),
                      channel.last_error or "", _when(channel.paused_until), str(channel.posts), str(channel.posts_read))
    out.print(table)
    out.print(f"worker leader: {state.leader or 'none'} (heartbeat {_when(state.heartbeat_at)})")
    out.print("queue depth: " + (", ".join(f"{k} {v}" for k, v in sorted(state.queue_depth.items())) or "empty"))
    try:
        out.print(f"model: {services.tagger.version}")
    except (MonitorError, ModelError) as exc:
        out.print(f"model: not loaded ({exc})")
    for job in state.jobs:
        out.print(f"job {job.job_id}: last {job.last_outcome or '-'} at {_when(job.last_finished_at)}, "
                  f"{job.runs} runs, {job.failures} failures" + (f" ({job.last_error})" if job.last_error else ""))


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


@app.command()
def backup(
    file: Annotated[Path, typer.Option("--out", help="Backup file to write.")],
) -> None:
    """Back up the database while the product runs (SQLite online backup, or pg_dump)."""
    from monitor.backup import backup_database

    written = backup_database(_settings().db_url, file)
    out.print(f"backup written: {written} ({written.stat().st_size} bytes)", markup=False, highlight=False)


@app.command()
def restore(backup_file: Annotated[Path, typer.Argument(help="A file made by `monitor backup`.")]) -> None:
    """Replace the database's contents with a backup (stop web and worker first)."""
    from monitor.backup import restore_database

    restore_database(_settings().db_url, backup_file)
    out.print(f"restored from {backup_file}; run `monitor migrate` if the backup is from an older version",
              markup=False, highlight=False)
