"""Queue page and API latency with 100,000 cases and 10 concurrent clients, on SQLite and PostgreSQL.

    .venv/bin/python bench/queue.py [--cases 100000] [--clients 10] [--requests 30] [--postgres URL]
                                    [--writer-hold-ms 0] [--open-share 0.02]

Seeds a fresh database through the real migrations (rows inserted in bulk), starts
`monitor web` as a separate process on a free loopback port, signs each client in,
and times GET / (the queue page), GET /?tag=complaint&sort=due, a text search, and
GET /api/cases. Prints p50 / p95 per request kind and engine. With ``--writer-hold-ms N`` a
thread plays the worker meanwhile: a write transaction that holds the lock N ms (an
ingest batch), then a pause of the same length, over and over.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named as the issue asks (bench/queue.py), which shadows the standard
# library's `queue` when run as a script; take its folder off the import path first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
from sqlalchemy import create_engine, insert, select, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor import models  # noqa: E402
from monitor.accounts import add_user, create_token  # noqa: E402
from monitor.bootstrap import sync_units  # noqa: E402
from monitor.db import make_engine, make_session_factory, refresh_statistics  # noqa: E402
from monitor.migrations import upgrade_database  # noqa: E402
from monitor.pipeline.route import load_catalogue  # noqa: E402

TEXTS = ["@WorksMinistry pothole on road {n} near the signal", "@WorksMinistry المجاري طافحة في مجمع {n}",
         "@WorksMinistry متى ينتهي مشروع شارع {n}؟", "@WorksMinistry شكراً على إصلاح الإنارة في مجمع {n}"]
TAGS = ["complaint", "complaint", "inquiry", "praise"]


def seed(url: str, cases: int, open_share: float | None = None) -> str:
    engine = make_engine(url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        sync_units(session, load_catalogue(REPO / "data" / "units.yaml"))
        add_user(session, "bench", "agent", "bench-password")
        channel = models.Channel(name="bench", kind="replay", config={"path": "none"})
        session.add(channel)
        session.commit()
        unit_ids = session.scalars(select(models.Unit.id)).all()
        token = create_token(session, session.scalar(select(models.User).where(models.User.username == "bench")),
                             "bench", now=datetime.now(UTC))
        session.commit()
        _bulk(session, channel.id, unit_ids, cases, open_share)
    refresh_statistics(engine)  # as the worker's hourly job leaves a SQLite database (PostgreSQL: below)
    engine.dispose()
    return token


def _bulk(session, channel_id: int, unit_ids: list[int], cases: int,  # type: ignore[no-untyped-def]
          open_share: float | None) -> None:
    """Cases three minutes apart, the newest opened a minute ago.

    Statuses: without ``open_share``, each case new, in progress, replied or resolved at random (three
    quarters open, nearly all past their due time: the worst case for the queue's counts); with it,
    the newest ``open_share`` of the cases open and every older one resolved, as in a team that
    keeps up.
    """
    rng, start = random.Random(0), datetime.now(UTC) - timedelta(minutes=3 * cases + 1)
    first_open = cases - int(cases * (open_share or 0)) + 1
    for offset in range(0, cases, 5000):
        case_rows, post_rows = [], []
        for n in range(offset + 1, min(cases, offset + 5000) + 1):
            kind, at = n % 4, start + timedelta(minutes=3 * n)
            if open_share is None:
                status = rng.choice(["new", "in_progress", "replied", "resolved"])
            else:
                status = rng.choice(["new", "in_progress", "replied"]) if n >= first_open else "resolved"
            case_rows.append({
                "id": n, "channel_id": channel_id, "conversation_id": str(n), "status": status,
                "category": TAGS[kind], "confidence": rng.random(), "needs_review": rng.random() < 0.2,
                "unit_id": rng.choice(unit_ids), "priority": "normal",
                "language": "en" if kind == 0 else "ar", "sla_due_at": at + timedelta(hours=48), "opened_at": at,
                "first_post_at": at, "last_post_at": at, "version": 1})
            body = TEXTS[kind].format(n=n)
            post_rows.append({
                "id": n, "channel_id": channel_id, "external_id": str(n), "conversation_id": str(n), "text": body,
                "search_text": body.lower(), "posted_at": at, "ingested_at": at, "stage": "queued",
                "category": TAGS[kind], "case_id": n, "author_handle": f"user{n % 997}", "mentions_account": True,
                "language": case_rows[-1]["language"]})
        session.execute(insert(models.Case), case_rows)
        session.execute(insert(models.Post), post_rows)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("cases", "posts"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {cases})"))
        session.execute(text("ANALYZE"))
        session.commit()


def serve(url: str, home: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(MONITOR_HOME=str(home), MONITOR_DATABASE_URL=url, MONITOR_SECRET_KEY="bench-" + "k" * 40,
               MONITOR_LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "monitor", "web", "--port", str(port)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("monitor web did not start")


def client_run(port: int, token: str, requests: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": csrf})
        kinds = {"queue": "/", "queue filtered": "/?tag=complaint&sort=due", "search": "/?q=road+4242",
                 "api": "/api/cases"}
        for _ in range(requests):
            for kind, path in kinds.items():
                headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
                began = time.perf_counter()
                response = client.get(path, headers=headers)
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, (kind, response.status_code)
                times.setdefault(kind, []).append(elapsed)
    return times


def write_batches(url: str, hold_ms: int, stop: threading.Event) -> int:
    """The worker's side: write transactions holding the lock ``hold_ms``; returns how many committed."""
    engine, done = make_engine(url), 0
    while not stop.is_set():
        with engine.begin() as connection:  # BEGIN IMMEDIATE on SQLite, as every worker transaction
            connection.execute(text("UPDATE cases SET priority = 'normal' WHERE id = 1"))
            time.sleep(hold_ms / 1000)
        done += 1
        stop.wait(hold_ms / 1000)
    engine.dispose()
    return done


def measure(label: str, url: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as home:
        began = time.perf_counter()
        token = seed(url, args.cases, args.open_share)
        seeded = time.perf_counter() - began
        process, port = serve(url, Path(home))
        stop, batches = threading.Event(), ThreadPoolExecutor(1)
        writer = batches.submit(write_batches, url, args.writer_hold_ms, stop) if args.writer_hold_ms else None
        try:
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(lambda _: client_run(port, token, args.requests), range(args.clients)))
        finally:
            stop.set()
            batches.shutdown()
            process.terminate()
            process.wait(timeout=30)
    share = "3 in 4 open at random" if args.open_share is None else f"the newest {args.open_share:.0%} open"
    print(f"{label}: {args.cases} cases ({share}) seeded in {seeded:.1f} s; "
          f"{args.clients} clients x {args.requests} rounds"
          + (f"; a writer held the lock {args.writer_hold_ms} ms at a time ({writer.result()} batches)"
             if writer else ""))
    for kind in results[0]:
        values = sorted(v for result in results for v in result[kind])
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"  {kind:15s} n={len(values):4d}  p50 {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--writer-hold-ms", type=int, default=0, help="play the worker: hold the write lock N ms")
    parser.add_argument("--open-share", type=float, default=None,
                        help="only the newest share of the cases open (0.02: 2,000 of 100,000); "
                             "default: 3 in 4 at random")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{tmp}/bench.db", args)
    name = f"monitor_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        measure("PostgreSQL", admin.url.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
