"""Benchmark the tagger: batch throughput, single-post latency, load time, size, peak memory.

    .venv/bin/python bench/classify.py [--model PATH] [--posts N] [--singles N]

Without --model it trains `build_pipeline()` on data/labeled/ (as `monitor train` does)
in a child process and saves it to a temporary skops file first, so the memory figures
are those of a process that only loads and uses the model. One process, one thread (BLAS/OpenMP
pinned before numpy loads). Throughput and latency are given twice: by the wall clock, and
by the process's CPU time, which is what one core does when other processes share the
machine. Prints figures; asserts nothing. Record them in
docs/benchmarks.md with the machine they ran on.
"""

from __future__ import annotations

import os
import sys

# bench/ holds other scripts (e.g. queue.py) that would shadow standard modules.
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != os.path.dirname(os.path.abspath(__file__))]
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def posts(count: int) -> list[str]:
    """`count` real-looking posts: the labelled corpus, repeated in order."""
    from classifiers import load_labeled

    texts = load_labeled(REPO / "data" / "labeled")["text"].tolist()
    return [texts[i % len(texts)] for i in range(count)]


def trained_model(directory: Path) -> Path:
    from classifiers import load_labeled, save_model
    from classifiers.model import build_pipeline

    corpus = load_labeled(REPO / "data" / "labeled")
    pipeline = build_pipeline().fit(corpus["text"].tolist(), corpus["label"].tolist())
    path = directory / "tagger.skops"
    save_model(pipeline, path, {"version": "bench", "labels": sorted(set(corpus["label"]))})
    return path


def measure(path: Path, count: int, singles: int) -> dict[str, float]:
    from classifiers import load_model

    started = time.perf_counter()
    tagger = load_model(path)
    figures = {"load_s": time.perf_counter() - started, "size_mb": path.stat().st_size / 1e6}
    batch = posts(count)
    tagger.predict(batch[:100])  # warm up
    started, cpu = time.perf_counter(), time.process_time()
    tagger.predict(batch)
    figures["batch_posts_per_s_wall"] = count / (time.perf_counter() - started)
    figures["batch_posts_per_s_cpu"] = count / (time.process_time() - cpu)
    walls, cpus = [], []
    for text in batch[:singles]:
        started, cpu = time.perf_counter(), time.process_time()
        tagger.predict([text])
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    for name, values in (("wall", walls), ("cpu", cpus)):
        cuts = statistics.quantiles(values, n=100)
        figures[f"single_p50_ms_{name}"], figures[f"single_p99_ms_{name}"] = cuts[49], cuts[98]
    tracemalloc.start()
    tagger.predict(batch[:1000])
    figures["python_peak_mb_1000_batch"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    figures["process_max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="skops model with its card (default: train one)")
    parser.add_argument("--posts", type=int, default=20_000, help="posts in the timed batch")
    parser.add_argument("--singles", type=int, default=2_000, help="single-post calls timed")
    parser.add_argument("--train-to", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.train_to:
        trained_model(args.train_to)
        return
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s); "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; threads pinned to 1; "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model
        if path is None:
            subprocess.run([sys.executable, __file__, "--train-to", tmp], check=True)
            path = Path(tmp) / "tagger.skops"
        for name, value in measure(path, args.posts, args.singles).items():
            print(f"{name:28s} {value:12.2f}")


if __name__ == "__main__":
    main()
