"""Inbound throughput: poll + ingest + classify + route (+ queue), from the replay channel into SQLite and PostgreSQL.

    .venv/bin/python bench/ingest.py [--posts 20000] [--repeat 5]

Routing runs twice per engine: with the catalogue's rules alone (a deployment before its first
retrain) and with the unit model behind them (as the worker runs once a version has one), which
classifies the posts no rule matched a second time. In the same run, for comparison: the bare
classifier's rate on the same texts (the tagger alone, without the unit model), and the raw bulk
insert rate of the same post rows (Core INSERT, no pipeline). Prints posts/s and the ratios for
the steps issue 7 names (from the replay channel through routing) and with the queue stage,
which opens the cases, and the seconds of each step. Each run times the bare classifier just
before its pipeline, since this machine's speed drifts by 10-20% from minute to minute; each
line gives a run's figures, then the medians over the runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py (named as issue 5 asks) would shadow the standard library's `queue`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from statistics import median  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select  # noqa: E402

from classifiers import (  # noqa: E402
    load_labeled,
    load_model,
    save_model,
    train_model,
    train_unit_model,
)
from monitor import models  # noqa: E402
from monitor.bootstrap import sync_units  # noqa: E402
from monitor.channels.replay import ReplayChannel  # noqa: E402
from monitor.db import make_engine, make_session_factory  # noqa: E402
from monitor.migrations import upgrade_database  # noqa: E402
from monitor.pipeline import process_inbound  # noqa: E402
from monitor.pipeline.poll import poll_channel  # noqa: E402
from monitor.pipeline.route import load_catalogue  # noqa: E402
from monitor.services import settled  # noqa: E402
from monitor.settings import Settings  # noqa: E402
from monitor.sla import load_rules  # noqa: E402
from tests.conftest import fresh_database_url  # noqa: E402


SLA_RULES = load_rules(REPO / "data", Settings().tz)  # new cases get their due time, as in the worker


def demo_texts() -> list[str]:
    lines = (REPO / "data" / "demo" / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["data"]["text"] for line in lines]


def write_replay(path: Path, texts: list[str], posts: int) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(posts):
            post_id, author = str(1861000000000000000 + n), str(1700000000000000000 + n % 500)
            data = {"id": post_id, "text": f"{texts[n % len(texts)]} #{n}", "author_id": author,
                    "created_at": (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "conversation_id": post_id, "edit_history_tweet_ids": [post_id]}
            users = [{"id": author, "username": f"user{n % 500}", "name": "User"}]
            handle.write(json.dumps({"data": data, "includes": {"users": users}}, ensure_ascii=False) + "\n")


def pipeline_seconds(url: str, replay: Path, tagger, catalogue) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Seconds of each inbound step for every post of ``replay``, as the worker runs them."""
    engine = make_engine(url)
    upgrade_database(engine)
    with make_session_factory(engine)() as session:
        sync_units(session, catalogue)
        row = models.Channel(name="bench", kind="replay", config={"path": str(replay)})
        session.add(row)
        session.commit()
        began = time.perf_counter()
        channel, now = ReplayChannel(replay), datetime.now(UTC)
        while poll_channel(session, row, channel, now=now).posts:  # 100 pages per poll at most
            pass
        seconds = {"poll": time.perf_counter() - began}
        seconds |= process_inbound(session, tagger, catalogue, review_threshold=0.5, now=now, sla_rules=SLA_RULES)
        queued = session.scalar(select(func.count()).where(models.Post.stage == "queued"))
    engine.dispose()
    if queued != sum(1 for line in replay.open(encoding="utf-8") if line.strip()):
        raise SystemExit(f"only {queued} posts reached the queue")
    return seconds


def bulk_insert_rate(url: str, posts: int) -> float:
    engine = make_engine(url)
    upgrade_database(engine)
    with make_session_factory(engine)() as session:
        channel = models.Channel(name="bulk", kind="replay", config={})
        session.add(channel)
        session.commit()
        now = datetime.now(UTC)
        rows = [{"channel_id": channel.id, "external_id": str(n), "conversation_id": str(n), "text": f"post {n}",
                 "posted_at": now, "ingested_at": now, "stage": "new", "mentions_account": True}
                for n in range(posts)]
        began = time.perf_counter()
        for offset in range(0, posts, 1000):
            session.execute(insert(models.Post), rows[offset:offset + 1000])
        session.commit()
        elapsed = time.perf_counter() - began
    engine.dispose()
    return posts / elapsed


def trained_models(home: Path):  # type: ignore[no-untyped-def]
    """The tagger and the unit model trained on data/labeled/, saved and loaded as the worker loads them."""
    corpus = load_labeled(REPO / "data" / "labeled")
    units = corpus[corpus["unit"] != ""]
    loaded = []
    for name, (pipeline, card) in (("tagger", train_model(corpus["text"].tolist(), corpus["label"].tolist())),
                                   ("units", train_unit_model(units["text"].tolist(), units["unit"].tolist()))):
        save_model(pipeline, home / f"{name}.skops", card)
        loaded.append(settled(load_model(home / f"{name}.skops")))  # as the worker's Services hold them
    return loaded


def measure(args, replay: Path, batch: list[str], tagger, catalogue, engine: str, home: Path) -> dict:  # type: ignore[no-untyped-def]
    """One run: the bare classifier on ``batch``, then at once the pipeline, so both see the same machine."""
    began = time.perf_counter()
    tagger.predict(batch)
    bare = args.posts / (time.perf_counter() - began)
    for url in fresh_database_url(engine, Path(tempfile.mkdtemp(dir=home))):
        seconds = pipeline_seconds(url, replay, tagger, catalogue)
    to_route = args.posts / sum(seconds[step] for step in ("poll", "ingest", "classify", "route"))
    return {"bare": bare, "to_route": to_route, "to_queue": args.posts / sum(seconds.values()), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per engine and routing; medians are printed")
    args = parser.parse_args()
    rules = load_catalogue(REPO / "data" / "units.yaml")
    texts = demo_texts()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        tagger, unit_model = trained_models(home)
        replay = home / "posts.jsonl"
        write_replay(replay, texts, args.posts)
        batch = [f"{texts[n % len(texts)]} #{n}" for n in range(args.posts)]
        print(f"{args.posts} posts, {args.repeat} runs each; every run times the bare classifier (tagger only) "
              "just before its pipeline, and its share is taken within the run")
        for engine in ("sqlite", "postgresql"):
            for routing, catalogue in (("rules", rules), ("rules+unit model", replace(rules, unit_model=unit_model))):
                runs = [measure(args, replay, batch, tagger, catalogue, engine, home) for _ in range(args.repeat)]
                for run in runs:
                    print(f"  {engine} {routing}: bare {run['bare']:,.0f}; to routed {run['to_route']:,.0f} "
                          f"({run['to_route'] / run['bare']:.2f}); to queued {run['to_queue']:,.0f} "
                          f"({run['to_queue'] / run['bare']:.2f})  "
                          + " ".join(f"{step} {spent:.2f}s" for step, spent in run["seconds"].items()))
                print(f"{engine:10s} {routing:16s} median: bare {median(run['bare'] for run in runs):,.0f} posts/s; "
                      f"poll+ingest+classify+route {median(run['to_route'] for run in runs):,.0f} posts/s "
                      f"({median(run['to_route'] / run['bare'] for run in runs):.2f} of bare); "
                      f"+queue {median(run['to_queue'] for run in runs):,.0f} posts/s "
                      f"({median(run['to_queue'] / run['bare'] for run in runs):.2f})  "
                      + " ".join(f"{step} {median(run['seconds'][step] for run in runs):.2f}s"
                                 for step in runs[0]["seconds"]))
            for url in fresh_database_url(engine, Path(tempfile.mkdtemp(dir=home))):
                bulk = bulk_insert_rate(url, args.posts)
            print(f"{engine:10s} raw bulk insert {bulk:9,.0f} rows/s")


if __name__ == "__main__":
    main()
