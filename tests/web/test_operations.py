"""Operations: /readyz, /metrics and `monitor status` tell the truth; one worker leads at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor import models
from monitor.db import make_engine
from monitor.leader import Leadership, current_leader
from monitor.migrations import downgrade_database, upgrade_database
from tests.cli_run import monitor, monitor_env
from tests.conftest import REPO, fresh_database_url
from tests.web.conftest import add_posts


def metric(text: str, name: str, **labels: str) -> float:
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{wanted} not in /metrics")


def test_metrics_match_the_database(services, client):
    add_posts(services, "@WorksMinistry pothole on our street", "@WorksMinistry thank you for the park")
    text = client.get("/metrics").text
    with services.sessions() as session:
        by_status = dict(session.execute(select(models.Case.status, func.count()).group_by(models.Case.status)).all())
        by_tag = dict(session.execute(select(models.Post.category, func.count()).group_by(models.Post.category)).all())
        channel = session.scalars(select(models.Channel).order_by(models.Channel.id.desc())).first()
        stored = session.scalar(select(func.count()).where(models.Post.channel_id == channel.id))
    for status, count in by_status.items():
        assert metric(text, "monitor_queue_depth", status=status) == count
    for tag, count in by_tag.items():
        assert metric(text, "monitor_tags_assigned", tag=tag) == count
    assert metric(text, "monitor_posts_ingested", channel=channel.name) == stored


def test_readyz_reports_each_check_and_fails_when_the_model_is_missing(services, client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert response.json()["migrations"] == "ok" and response.json()["model"].startswith("ok")


def test_readyz_is_not_ready_on_an_old_schema(tmp_path):
    from monitor.services import Services
    from monitor.settings import Settings
    from monitor.web.app import create_app

    services = Services(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'old.db'}", secret_key="r" * 40))
    upgrade_database(services.engine)
    downgrade_database(services.engine, "0001")
    with TestClient(create_app(services)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "run `monitor migrate`" in response.json()["migrations"]
    assert response.json()["model"].startswith("not loaded")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_second_worker_cannot_lead_while_the_first_holds_the_lease(backend, tmp_path):
    for url in fresh_database_url(backend, tmp_path):
        engine = make_engine(url)
        upgrade_database(engine)
        now, ttl = datetime.now(UTC), timedelta(seconds=10)
        first, second = Leadership(engine, "host-a:1", ttl=ttl), Leadership(engine, "host-b:2", ttl=ttl)
        assert first.try_acquire(now) and not second.try_acquire(now)
        assert first.renew(now + timedelta(seconds=5))
        first.release()
        assert second.try_acquire(now + timedelta(seconds=6)) and not first.renew(now + timedelta(seconds=7))
        second.release()
        engine.dispose()


def test_on_sqlite_a_standby_takes_over_a_lease_whose_heartbeat_stopped(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    upgrade_database(engine)
    now, ttl = datetime.now(UTC), timedelta(seconds=10)
    dead, standby = Leadership(engine, "dead:1", ttl=ttl), Leadership(engine, "standby:2", ttl=ttl)
    assert dead.try_acquire(now)
    assert not standby.try_acquire(now + timedelta(seconds=9))
    assert standby.try_acquire(now + timedelta(seconds=11))
    assert not dead.renew(now + timedelta(seconds=12))
    engine.dispose()


def leader_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            from sqlalchemy.orm import Session
            lease = current_leader(Session(bind=connection))
            return lease.holder if lease else None
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_worker_processes_one_leads_and_the_other_takes_over_within_30_seconds_of_a_kill(
        backend, tmp_path, tiny_model_path):
    import shutil

    from classifiers import card_path

    for url in fresh_database_url(backend, tmp_path):
        settings = {"database_url": url, "leader_ttl_seconds": "6", "demo_channel": "false"}
        models_dir = tmp_path / "models"
        models_dir.mkdir()
        shutil.copy(tiny_model_path, models_dir / "tagger.skops")
        shutil.copy(card_path(tiny_model_path), card_path(models_dir / "tagger.skops"))
        monitor(tmp_path, "migrate", **settings)
        env = monitor_env(tmp_path, **settings)
        workers = [subprocess.Popen([sys.executable, "-m", "monitor", "worker"], cwd=REPO, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            leader = _wait_for(lambda: leader_of(url), 30)
            pids = {int(leader.rsplit(":", 1)[1])}
            assert pids <= {worker.pid for worker in workers}
            time.sleep(3)
            assert leader_of(url) == leader  # the standby did not take over a live leader
            os.kill(pids.pop(), signal.SIGKILL)
            killed_at = time.monotonic()
            new_leader = _wait_for(lambda: (l := leader_of(url)) != leader and l, 30)
            assert time.monotonic() - killed_at < 30
            assert int(new_leader.rsplit(":", 1)[1]) in {worker.pid for worker in workers}
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
        assert leader_of(url) is None  # the survivor released the lease when it stopped


def _wait_for(probe, seconds: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_monitor_status_prints_channels_leader_queue_and_model(tmp_path, tiny_model_path):
    import shutil

    from classifiers import card_path

    (tmp_path / "models").mkdir()
    shutil.copy(tiny_model_path, tmp_path / "models" / "tagger.skops")
    shutil.copy(card_path(tiny_model_path), card_path(tmp_path / "models" / "tagger.skops"))
    monitor(tmp_path, "migrate")
    monitor(tmp_path, "poll", "--once")
    out = monitor(tmp_path, "status").stdout
    assert "demo" in out and "worker leader: none" in out and "queue depth: new" in out and "model: " in out
