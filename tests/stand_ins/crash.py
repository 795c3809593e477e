"""The crash-safety trial: the real worker against the fake X, killed with SIGKILL at random moments.

Used by `tests/test_crash_safety.py` (10 kills per engine) and `bench/crash.py` (100 kills).
While the worker runs, the fake X keeps receiving citizens' posts and a "supervisor" thread
approves a reply to every case. After the last kill a worker runs to the end; then the
database is compared with the fake: every post stored once, every approved reply posted once.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from classifiers import card_path
from monitor import models
from monitor.bootstrap import sync_units
from monitor.db import make_engine, make_session_factory
from monitor.migrations import upgrade_database
from monitor.pipeline.reply import approve_reply, draft_reply
from monitor.pipeline.route import load_catalogue
from tests.stand_ins.fake_x import ACCOUNT, FakeX

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    kills: int
    citizen_posts: int
    stored_posts: int
    duplicate_posts: int
    missing_posts: int
    replies: int
    replies_sent: int
    replies_posted_twice: int
    replies_not_posted: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return (self.duplicate_posts == self.missing_posts == self.replies_posted_twice
                == self.replies_not_posted == 0 and self.replies_sent == self.replies)


def prepare(url: str, home: Path, model: Path) -> None:
    """A migrated database with the units and one X mentions channel polled every second."""
    (home / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(model, home / "models" / "tagger.skops")
    shutil.copy(card_path(model), card_path(home / "models" / "tagger.skops"))
    engine = make_engine(url)
    upgrade_database(engine)
    with make_session_factory(engine)() as session:
        sync_units(session, load_catalogue(REPO / "data" / "units.yaml"))
        session.add(models.Channel(name="x-mentions", kind="x", poll_interval_seconds=1, config={
            "mode": "mentions", "account_handle": ACCOUNT["username"], "user_id": ACCOUNT["id"]}))
        session.commit()
    engine.dispose()


def approve_every_case(url: str, stop: threading.Event) -> None:
    """Like a supervisor at work: each new case gets one approved reply."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    while not stop.wait(0.5):
        with sessions() as session:
            answered = select(models.Reply.case_id)
            for case in session.scalars(select(models.Case).where(models.Case.id.not_in(answered))).all():
                now = datetime.now(UTC)
                reply = draft_reply(session, case, f"Thank you, {case.reference} is with the unit.", author=None, now=now)
                approve_reply(session, reply, approver=None, now=now)
                session.commit()
    engine.dispose()


def run_trial(url: str, home: Path, env: dict[str, str], fake: FakeX, *, kills: int, posts: int,
              seed: int = 0, settle_seconds: float = 150) -> Outcome:
    rng, started = random.Random(seed), time.monotonic()
    stop = threading.Event()
    feeder = threading.Thread(target=_feed, args=(fake, posts, stop), daemon=True)
    approver = threading.Thread(target=approve_every_case, args=(url, stop), daemon=True)
    feeder.start()
    approver.start()
    for _ in range(kills):
        worker = _start(env)
        _wait_until_leading(url, worker.pid)  # a kill must land while the worker is doing the work
        time.sleep(rng.uniform(0.2, 4.0))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    feeder.join()
    worker = _start(env)
    try:
        _wait_until_settled(url, fake, posts, settle_seconds)
    finally:
        stop.set()
        approver.join(timeout=30)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=120)
    return _compare(url, fake, kills, time.monotonic() - started)


def _feed(fake: FakeX, posts: int, stop: threading.Event) -> None:
    for number in range(posts):
        if stop.is_set():
            return
        fake.add_post(f"@{ACCOUNT['username']} pothole number {number} on our street, please fix",
                      author=f"citizen{number % 17}")
        time.sleep(0.15)


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "worker"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_until_leading(url: str, pid: int, seconds: float = 60) -> None:
    engine = make_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                holder = connection.scalar(select(models.WorkerLease.holder))
            if holder and holder.endswith(f":{pid}"):
                return
            time.sleep(0.2)
        raise AssertionError(f"worker {pid} did not take the lead within {seconds} s")
    finally:
        engine.dispose()


def _wait_until_settled(url: str, fake: FakeX, posts: int, seconds: float) -> None:
    engine = make_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                stored = connection.scalar(select(func.count()).select_from(models.Post))
                cases = connection.scalar(select(func.count()).select_from(models.Case))
                sent = connection.scalar(select(func.count()).where(models.Reply.state == "sent"))
            if stored >= posts and sent >= cases:
                return
            time.sleep(1)
    finally:
        engine.dispose()


def _compare(url: str, fake: FakeX, kills: int, seconds: float) -> Outcome:
    citizen = {post_id for post_id, post in fake.posts.items() if post["author_id"] != ACCOUNT["id"]}
    ours = [post for post in fake.posts.values() if post["author_id"] == ACCOUNT["id"]]
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        stored = session.scalars(select(models.Post.external_id)).all()
        replies = session.scalars(select(models.Reply)).all()
        posted = {reply.id: sum(post["text"] == reply.text for post in ours) for reply in replies}
        states = [reply.state for reply in replies]
    engine.dispose()
    return Outcome(
        kills=kills, citizen_posts=len(citizen), stored_posts=len(stored),
        duplicate_posts=len(stored) - len(set(stored)), missing_posts=len(citizen - set(stored)),
        replies=len(replies), replies_sent=states.count("sent"),
        replies_posted_twice=sum(count > 1 for count in posted.values()),
        replies_not_posted=sum(count == 0 for count in posted.values()), seconds=seconds,
    )
