"""Shared fixtures: real databases (SQLite and PostgreSQL), the shipped catalogue, a real tagger.

Every database test runs on both engines. PostgreSQL tests skip with a reason
where no server is reachable, and fail instead when CI is set. Each test runs
inside a transaction joined through a savepoint and rolled back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from monitor.bootstrap import sync_units
from monitor.db import make_engine
from monitor.migrations import upgrade_database
from monitor.pipeline.route import Catalogue, load_catalogue
from monitor.sla import SlaRules, load_rules

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
PG_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = bool(os.environ.get("CI"))

# The stand-ins' fixtures (fake_x, fake_x_server, open311, open311_server), for every test.
pytest_plugins = ("tests.stand_ins.fake_x", "tests.stand_ins.open311")


def postgres_unavailable_reason() -> str | None:
    probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            return None
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    finally:
        probe.dispose()


def require_postgres() -> None:
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required because CI is set)")
    pytest.skip(reason)


def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a PostgreSQL database created for this run."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    require_postgres()
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(admin.url.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine, catalogue: Catalogue) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    sync_units(db, catalogue)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(DATA / "units.yaml")


@pytest.fixture(scope="session")
def sla_rules() -> SlaRules:
    """The shipped SLA policies on the shipped calendar, in the default time zone (Bahrain)."""
    return load_rules(DATA, ZoneInfo("Asia/Bahrain"))


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


TINY_CORPUS = [
    ("pothole on our street damaged my car", "complaint"),
    ("the sewage is overflowing again please fix it", "complaint"),
    ("street lights broken for a week, road is dark", "complaint"),
    ("الشارع خربان والحفر وايد", "complaint"),
    ("المجاري طافحة من أسبوع", "complaint"),
    ("الانارة طافية ولا احد رد", "complaint"),
    ("thank you for fixing the road so fast", "praise"),
    ("great job on the new bridge, well done", "praise"),
    ("شكرا على سرعة الاستجابة", "praise"),
    ("يعطيكم العافية على الشغل الزين", "praise"),
    ("thanks to the team for the new park", "praise"),
    ("شكرا لكم على إصلاح الإنارة", "praise"),
    ("when will the highway project finish?", "inquiry"),
    ("is the bridge closed tonight?", "inquiry"),
    ("متى يخلص مشروع الشارع؟", "inquiry"),
    ("كيف أقدم على رخصة بناء؟", "inquiry"),
    ("how do I apply for a building permit?", "inquiry"),
    ("هل الطريق مغلق اليوم؟", "inquiry"),
    ("the ministry announced a new plan today", "other"),
    ("good morning everyone", "other"),
    ("follow us for cheap deals", "other"),
    ("صباح الخير يا جماعة", "other"),
    ("خبر: الوزارة تعلن خطة جديدة", "other"),
    ("watching the football match tonight", "other"),
]


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped pipeline fitted on a tiny corpus and saved through skops with its card."""
    from classifiers import save_model, train_model

    texts, labels = zip(*TINY_CORPUS, strict=True)
    pipeline, card = train_model(list(texts), list(labels))
    path = tmp_path_factory.mktemp("model") / "tagger.skops"
    save_model(pipeline, path, card)
    return path


@pytest.fixture(scope="session")
def tiny_tagger(tiny_model_path: Path):
    from classifiers import load_model

    return load_model(tiny_model_path)
