"""Load labelled posts, train the pipeline, and describe the result in a model card."""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from classifiers.model import build_pipeline

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("text", "label")
OPTIONAL_COLUMNS = ("unit", "lang", "source")
CV_FOLDS = 5
METRICS_KIND = "cross-validation on the training corpus (not an evaluation on real data)"

Progress = Callable[[str], None]


def load_labeled(directory: Path) -> pd.DataFrame:
    """Read every ``*.csv`` in `directory` into columns text, label, unit, lang, source.

    Rows with an empty text or label are dropped with a warning. Missing optional
    columns are filled with empty strings.
    """
    files = sorted(Path(directory).glob("*.csv"))
    if not files:
        raise ValueError(f"No labelled CSV files in {directory}")
    frame = pd.concat([_read_labeled(file) for file in files], ignore_index=True)
    return frame


def _read_labeled(file: Path) -> pd.DataFrame:
    frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"{file} lacks required column(s): {', '.join(missing)}")
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[[*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]].copy()
    frame["label"] = frame["label"].str.strip()
    empty = (frame["text"].str.strip() == "") | (frame["label"] == "")
    if empty.any():
        logger.warning("%s: dropped %d row(s) with an empty text or label", file, empty.sum())
    return frame[~empty]


def data_sha256(texts: Sequence[Any], labels: Sequence[Any]) -> str:
    """Hash the (text, label) rows independently of their order."""
    rows = sorted(json.dumps([str(t), str(y)], ensure_ascii=False) for t, y in zip(texts, labels))
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def train_model(
    texts: Sequence[Any],
    labels: Sequence[Any],
    *,
    source_rows: Sequence[Any] | None = None,
    progress: Progress | None = None,
) -> tuple[Pipeline, dict[str, Any]]:
    """Fit `build_pipeline()` on all rows and return it with its model card.

    `source_rows`, if given, names the source of each row; the card counts them.
    `progress` is called with a short message before each step.
    """
    report = progress or (lambda message: None)
    texts, labels = list(texts), [str(label) for label in labels]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    report(f"Cross-validating on {len(texts)} training rows")
    metrics = cross_validate(texts, labels)
    report("Fitting the final model on all rows")
    pipeline = build_pipeline().fit(texts, labels)
    card = _card(texts, labels, metrics, source_rows)
    report(f"Trained model {card['version']}")
    return pipeline, card


def cross_validate(texts: list[Any], labels: list[str]) -> dict[str, Any]:
    """Return metrics of out-of-fold predictions on the training rows.

    Folds are ``min(5, smallest label count)``. With fewer than 3 examples of some label
    the calibration inside each fold cannot run, so metrics are skipped and say why.
    """
    smallest = min(Counter(labels).values(), default=0)
    if smallest < 3:
        return {"kind": METRICS_KIND, "cv_folds": 0, "skipped": "a label has fewer than 3 rows"}
    folds = min(CV_FOLDS, smallest)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    predicted = cross_val_predict(build_pipeline(), texts, labels, cv=splitter)
    return {"kind": METRICS_KIND, "cv_folds": folds, **_scores(labels, predicted)}


def _scores(truth: list[str], predicted: np.ndarray) -> dict[str, Any]:
    names = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=names, zero_division=0
    )
    per_label = {
        name: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for name, p, r, f, s in zip(names, precision, recall, f1, support)
    }
    macro_f1 = f1_score(truth, predicted, labels=names, average="macro", zero_division=0)
    return {
        "macro_f1": round(float(macro_f1), 4),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "per_label": per_label,
    }


def _card(
    texts: list[Any], labels: list[str], metrics: dict[str, Any], sources: Sequence[Any] | None
) -> dict[str, Any]:
    now = datetime.now(UTC)
    digest = data_sha256(texts, labels)
    counts = Counter(labels)
    card = {
        "version": f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}",
        "created_at": now.isoformat(timespec="seconds"),
        "data_sha256": digest,
        "n_train": len(texts),
        "labels": sorted(counts),
        "label_counts": {label: counts[label] for label in sorted(counts)},
        "library_versions": library_versions(),
        "metrics": metrics,
    }
    if sources is not None:
        card["source_counts"] = dict(sorted(Counter(str(s) for s in sources).items()))
    return card


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries a saved model depends on."""
    names = ("scikit-learn", "skops", "numpy", "scipy")
    return {**{name: version(name) for name in names}, "python": platform.python_version()}
