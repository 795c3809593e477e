"""Crash safety at scale: the real worker killed with SIGKILL N times (default 100) while posts arrive.

    .venv/bin/python bench/crash.py [--kills 100] [--posts 300] [--engine postgresql|sqlite]

The same trial as `tests/test_crash_safety.py` (which runs 10 kills per engine in CI): the fake X
API serves citizens' posts on loopback while a supervisor thread approves a reply to every case;
each worker is killed at a random moment once it holds the leader lease, a new one is started,
and after the last kill one worker runs to the end. Prints the comparison of the database with
the fake: posts stored once, replies posted once.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py (named as issue 5 asks) would shadow the standard library's `queue`: take this
# folder off the import path before anything imports it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import tempfile  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classifiers import save_model, train_model  # noqa: E402
from tests.channels.conftest import x_credentials  # noqa: E402
from tests.cli_run import monitor_env  # noqa: E402
from tests.conftest import TINY_CORPUS, fresh_database_url  # noqa: E402
from tests.stand_ins.crash import prepare, run_trial  # noqa: E402
from tests.stand_ins.fake_x import FakeX, serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        texts, labels = zip(*TINY_CORPUS, strict=True)
        pipeline, card = train_model(list(texts), list(labels))
        save_model(pipeline, home / "tiny.skops", card)
        fake = FakeX()
        with serve(fake) as base_url:
            for url in fresh_database_url(args.engine, home):
                prepare(url, home, home / "tiny.skops")
                settings = {key: str(value) for key, value in x_credentials(base_url).items()}
                settings.update(x_timeout_seconds="2", database_url=url, demo_channel="false",
                                leader_ttl_seconds="6", reply_stalled_seconds="5")
                outcome = run_trial(url, home, monitor_env(home, **settings), fake, kills=args.kills,
                                    posts=args.posts, settle_seconds=600)
    print(f"engine {args.engine}: {outcome.kills} SIGKILLs in {outcome.seconds:.0f} s")
    print(f"  citizen posts on the fake X   {outcome.citizen_posts}")
    print(f"  stored posts                  {outcome.stored_posts} (duplicates {outcome.duplicate_posts}, "
          f"missing {outcome.missing_posts})")
    print(f"  approved replies              {outcome.replies} (sent {outcome.replies_sent}, posted twice "
          f"{outcome.replies_posted_twice}, never posted {outcome.replies_not_posted})")
    print(f"  verdict                       {'clean' if outcome.clean else 'NOT CLEAN'}")


if __name__ == "__main__":
    main()
