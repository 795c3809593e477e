"""Benchmark the figures behind the dashboard and the public report on synthetic logs.

    .venv/bin/python bench/report.py [--posts 1000000] [--replies 300000] [--seed 6]

Builds seeded synthetic log frames (cases, posts, replies, status events) shaped like
`monitor.event_log.read_logs` output — one month of posts, 1.6 posts per case, a third of
the cases resolved, a few forwarded and reopened — then times `compute_figures` (the
dashboard), `make_report` with the three files rendered (the report), and prints wall
time, CPU time and peak memory (tracemalloc and the process's max RSS). Reading the rows
from the database is not included. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from monitor.event_log import Logs  # noqa: E402
from monitor.figures import Period, compute_figures  # noqa: E402
from monitor.report import make_report, report_csv, report_html, report_json  # noqa: E402
from monitor.settings import REPO_ROOT  # noqa: E402
from monitor.sla import load_rules  # noqa: E402

MONTH = pd.Timestamp("2026-11-01", tz="Asia/Bahrain").tz_convert("UTC")
UNITS = ["roads", "sewerage", "lighting", "projects", "planning", "municipal", "triage"]


def synthetic_logs(posts: int, replies: int, seed: int) -> Logs:
    rng = np.random.default_rng(seed)
    n_cases = int(posts / 1.6)
    first = MONTH + pd.to_timedelta(rng.integers(0, 30 * 86400, n_cases), unit="s")
    cases = pd.DataFrame({
        "case_id": np.arange(1, n_cases + 1), "category": rng.choice(["complaint", "inquiry", "praise", "other"], n_cases),
        "priority": rng.choice(["normal", "high", "urgent"], n_cases, p=[0.8, 0.15, 0.05]),
        "unit": rng.choice(UNITS, n_cases), "channel": rng.choice(["x", "facebook"], n_cases),
        "language": rng.choice(["ar", "en"], n_cases, p=[0.8, 0.2]), "status": "in_progress", "first_post_at": first,
    })
    extra = posts - n_cases
    owner = rng.integers(1, n_cases + 1, extra)
    post_frame = pd.DataFrame({
        "case_id": np.concatenate([cases["case_id"].to_numpy(), owner]),
        "posted_at": np.concatenate([first.to_numpy(), (first[owner - 1] + pd.to_timedelta(
            rng.integers(600, 5 * 86400, extra), unit="s")).to_numpy()]),
    })
    post_frame["posted_at"] = pd.to_datetime(post_frame["posted_at"], utc=True)
    target = rng.integers(1, n_cases + 1, replies)
    created = first[target - 1] + pd.to_timedelta(rng.integers(60, 3 * 86400, replies), unit="s")
    approved = created + pd.to_timedelta(rng.integers(60, 7200, replies), unit="s")
    state = rng.choice(["sent", "failed", "draft"], replies, p=[0.9, 0.03, 0.07])
    reply_frame = pd.DataFrame({
        "case_id": target, "state": state, "created_at": created,
        "approved_at": pd.Series(approved).where(state != "draft"),
        "sent_at": pd.Series(approved + pd.Timedelta(minutes=1)).where(state == "sent"),
        "human": rng.random(replies) > 0.1,
    })
    return Logs(cases, post_frame, reply_frame, _events(cases, rng))


def _events(cases: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(cases)
    resolved = cases.sample(frac=0.35, random_state=1)
    forwarded = cases.sample(frac=0.05, random_state=2)
    reopened = resolved.sample(frac=0.05, random_state=3)
    parts = [
        (forwarded, 3600, "forwarded"), (forwarded, 2 * 86400, "in_progress"),
        (resolved, 4 * 86400, "resolved"), (reopened, 6 * 86400, "in_progress"), (reopened, 8 * 86400, "resolved"),
    ]
    frames = [pd.DataFrame({"case_id": part["case_id"].to_numpy(), "status": status, "waiting_on": None,
                            "created_at": part["first_post_at"] + pd.Timedelta(seconds=offset)
                            + pd.to_timedelta(rng.integers(0, 3600, len(part)), unit="s")})
              for part, offset, status in parts]
    events = pd.concat(frames, ignore_index=True).astype({"status": object, "waiting_on": object})
    assert len(events) < 2 * n
    return events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--replies", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    logs = synthetic_logs(args.posts, args.replies, args.seed)
    rules = load_rules(REPO_ROOT / "data", ZoneInfo("Asia/Bahrain"))
    now, period = datetime(2026, 12, 5, 9, 0, tzinfo=UTC), Period.month("2026-11")
    print(f"logs: {len(logs.cases):,} cases, {len(logs.posts):,} posts, {len(logs.replies):,} replies, "
          f"{len(logs.events):,} status events; baseline max RSS {_rss_mb():.0f} MB")
    for traced in (False, True):  # time without tracemalloc (it slows numpy down), then measure memory
        if traced:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        figures = compute_figures(logs, rules, period, now)
        dashboard = (time.perf_counter() - wall, time.process_time() - cpu)
        report = make_report(figures, period, now)
        files = [report_json(report), report_csv(report), report_html(report, {})]
        total = (time.perf_counter() - wall, time.process_time() - cpu)
        if not traced:
            print(f"dashboard figures: {dashboard[0]:.2f} s wall, {dashboard[1]:.2f} s CPU")
            print(f"dashboard + report (3 files, {sum(map(len, files)) / 1024:.0f} KiB): "
                  f"{total[0]:.2f} s wall, {total[1]:.2f} s CPU")
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    print(f"peak traced memory {peak:.0f} MB; process max RSS {_rss_mb():.0f} MB")
    print(figures["response_times"].to_string(index=False))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
