"""Train a candidate (tagger + unit model) and promote it only if it is not worse.

The fixed evaluation split
    A row of the shipped corpus (``data/labeled/``) is held out when the first 8 hex digits
    of ``sha256(normalize_text(text))``, read as an integer, are ``< 20`` modulo 100: about
    20% of the rows, always the same ones whatever else changes, and spelling variants that
    normalise alike fall on the same side. Corrections from the review queue are never held
    out (their labels still replace the shipped label of a held-out row of the same text).

The comparison
    Every version keeps, beside the models fitted on all rows, "holdout twins": the same
    recipe fitted on every row except the held-out ones. Neither the candidate's twin nor
    the current version's twin has seen a held-out row, so both are scored on today's
    held-out rows (macro-F1 over the labels present there), for the tags and for the units.
    The candidate is promoted when, for each of the two, its score is at least the current
    score minus `TOLERANCE` (0.005). A side that cannot be scored (no current version, no
    twin, no held-out rows) is not compared. ``force=True`` promotes regardless. The
    decision is written into the candidate's tagger card under ``promotion``; every
    candidate is kept in the registry, promoted or not.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import f1_score

from classifiers import registry
from classifiers.model import build_pipeline
from classifiers.persist import load_model
from classifiers.text import normalize_text
from classifiers.train import train_model
from classifiers.units import train_unit_model

logger = logging.getLogger(__name__)

HOLDOUT_PERCENT = 20
TOLERANCE = 0.005
SPLIT_RULE = f"int(sha256(normalize_text(text))[:8], 16) % 100 < {HOLDOUT_PERCENT}, shipped rows only"
CORRECTION = "correction"
MIN_ROWS = 2
COLUMNS = {registry.TAGGER: "label", registry.UNITS: "unit"}

Progress = Callable[[str], None]


def in_holdout(text: Any) -> bool:
    """True when `text` belongs to the fixed evaluation split."""
    digest = hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100 < HOLDOUT_PERCENT


def holdout_mask(frame: pd.DataFrame) -> pd.Series:
    """The held-out rows of a corpus with columns text and source."""
    return frame["text"].map(in_holdout).astype(bool) & (frame["source"] != CORRECTION)


def retrain(
    root: Path, frame: pd.DataFrame, *, force: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Train a candidate on `frame`, save it in the registry at `root`, promote it if it
    passes the rule (or `force`); return the decision.

    `frame` has columns text, label, unit, source; an empty label (or unit) leaves the row
    out of the tag (or unit) model.
    """
    report = progress or (lambda message: None)
    models = train_candidate(frame, report)
    report("Scoring the candidate and the current model on the fixed evaluation split")
    decision = decide(score_candidate(models, frame), score_current(root, frame), force=force)
    models[registry.TAGGER][1]["promotion"] = decision
    version = registry.save_version(root, models)
    if decision["promoted"]:
        registry.promote(root, version)
    decision["version"] = version
    return decision


def train_candidate(frame: pd.DataFrame, report: Progress) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Fit the tag and unit models on all rows and their twins without the held-out rows."""
    held_out = holdout_mask(frame)
    tags = frame[frame["label"] != ""]
    units = _learnable_units(frame)
    report(f"Training the tagger on {len(tags)} rows")
    tagger = train_model(tags["text"].tolist(), tags["label"].tolist(), source_rows=tags["source"].tolist())
    models = {registry.TAGGER: tagger}
    if units["unit"].nunique() >= 2:
        report(f"Training the unit model on {len(units)} rows")
        models[registry.UNITS] = train_unit_model(units["text"].tolist(), units["unit"].tolist())
    for kind, rows in ((registry.TAGGER, tags), (registry.UNITS, units)):
        if kind not in models:
            continue
        report(f"Training the {kind} holdout twin")
        twin = _fit_twin(rows[~held_out[rows.index]], COLUMNS[kind])
        if twin is not None:
            models[f"{kind}-holdout"] = twin
    return models


def _learnable_units(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a unit, without units of fewer than `MIN_ROWS` rows (a calibrated model needs them)."""
    rows = frame[frame["unit"] != ""]
    counts = rows["unit"].value_counts()
    rare = sorted(counts[counts < MIN_ROWS].index)
    if rare:
        logger.warning("Unit model: too few rows to learn %s; left out", ", ".join(rare))
    return rows[~rows["unit"].isin(rare)]


def _fit_twin(rows: pd.DataFrame, column: str) -> tuple[Any, dict[str, Any]] | None:
    try:
        pipeline = build_pipeline().fit(rows["text"].tolist(), rows[column].tolist())
    except ValueError as exc:  # e.g. a label with fewer than 2 rows outside the split
        logger.warning("No holdout twin for %s: %s", column, exc)
        return None
    card = {"version": "twin", "holdout_twin": True, "split": SPLIT_RULE, "n_train": len(rows),
            "labels": sorted(str(label) for label in pipeline.classes_)}
    return pipeline, card


def score_candidate(models: dict[str, Any], frame: pd.DataFrame) -> dict[str, float | None]:
    """Macro-F1 of the candidate's twins on the held-out rows, per kind."""
    return {kind: _score(models[f"{kind}-holdout"][0].predict, frame, column)
            if f"{kind}-holdout" in models else None for kind, column in COLUMNS.items()}


def score_current(root: Path, frame: pd.DataFrame) -> dict[str, Any]:
    """Macro-F1 of the current version's twins on the held-out rows, per kind."""
    version = registry.current_version(root)
    scores: dict[str, Any] = {"version": version}
    for kind, column in COLUMNS.items():
        path = registry.model_file(root, version, kind, holdout=True) if version else None
        if path is None or not path.exists():
            scores[kind] = None
            continue
        twin = load_model(path)
        scores[kind] = _score(lambda texts: [p.label for p in twin.predict(texts)], frame, column)
    return scores


def _score(predict: Callable[[list[Any]], Any], frame: pd.DataFrame, column: str) -> float | None:
    rows = frame[holdout_mask(frame) & (frame[column] != "")]
    if rows.empty:
        return None
    truth = rows[column].tolist()
    predicted = [str(label) for label in predict(rows["text"].tolist())]
    score = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    return round(float(score), 4)


def decide(candidate: dict[str, float | None], current: dict[str, Any], *, force: bool) -> dict[str, Any]:
    """Apply the promotion rule (module docstring) and say why."""
    worse = [kind for kind in COLUMNS if candidate.get(kind) is not None and current.get(kind) is not None
             and candidate[kind] < round(current[kind] - TOLERANCE, 6)]
    compared = [kind for kind in COLUMNS if candidate.get(kind) is not None and current.get(kind) is not None]
    if current.get("version") is None:
        reason = "no current model"
    elif worse:
        reason = "worse than the current model on " + ", ".join(
            f"{kind} ({candidate[kind]:.4f} < {current[kind]:.4f} - {TOLERANCE})" for kind in worse)
    elif compared:
        reason = "not worse than the current model on " + ", ".join(
            f"{kind} ({candidate[kind]:.4f} >= {current[kind]:.4f} - {TOLERANCE})" for kind in compared)
    else:
        reason = "nothing to compare with (the current model has no holdout twin)"
    promoted = force or not worse
    if force and worse:
        reason = "forced despite being " + reason
    return {"promoted": promoted, "forced": force, "reason": reason, "tolerance": TOLERANCE,
            "split": SPLIT_RULE, "candidate": candidate, "current": current}
