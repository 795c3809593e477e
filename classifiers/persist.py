"""Save and load models with skops (no pickle), audited against `TRUSTED_TYPES`.

A model at ``path`` has its JSON card beside it at ``path + ".card.json"``
(``tagger.skops`` -> ``tagger.skops.card.json``). The saved card gains ``model_sha256``,
the digest of the model file, so a model and a card from different runs are refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

from classifiers.tagger import Tagger

# Types in our fitted pipeline that skops does not trust by default. Found once with
# skops.io.get_untrusted_types on a trained model and written out here; a test re-checks
# this on every run. Everything else must be on skops' own default trusted list.
TRUSTED_TYPES: tuple[str, ...] = (
    "classifiers.model.CalibratedLinearSVC",
    "classifiers.text.CompactTfidfVectorizer",
    "classifiers.text.TextNormalizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)


class ModelError(Exception):
    """A model file or its card is missing, unreadable or fails the trusted-type audit."""


def card_path(path: Path) -> Path:
    """Return where the card of the model at `path` lives."""
    path = Path(path)
    return path.with_name(path.name + ".card.json")


def save_model(pipeline: Pipeline, path: Path, card: Mapping[str, Any]) -> None:
    """Write `pipeline` with skops and `card` as JSON beside it, each atomically."""
    path = Path(path)
    data = sio.dumps(pipeline, compression=zipfile.ZIP_DEFLATED)
    card = {**card, "model_sha256": hashlib.sha256(data).hexdigest()}
    text = json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True)
    _write_atomic(path, data)
    _write_atomic(card_path(path), text.encode("utf-8"))


def load_model(path: Path) -> Tagger:
    """Load, audit and return the model at `path` as a `Tagger`; raise `ModelError`."""
    path = Path(path)
    data = _read(path, "Model file")
    card = _read_card(path)
    if card.get("model_sha256") not in (None, hashlib.sha256(data).hexdigest()):
        raise ModelError(f"Model {path} does not match its card {card_path(path)}")
    _audit(path, data)
    try:
        pipeline = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:
        raise ModelError(f"Model file {path} could not be loaded: {exc}") from exc
    return _tagger(path, pipeline, card)


def _audit(path: Path, data: bytes) -> None:
    """Refuse a file holding any type outside skops' defaults and `TRUSTED_TYPES`."""
    try:
        found = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelError(f"Model file {path} is not a readable skops file: {exc}") from exc
    untrusted = sorted(set(found) - set(TRUSTED_TYPES))
    if untrusted:
        raise ModelError(f"Model file {path} contains untrusted types: {', '.join(untrusted)}")


def _tagger(path: Path, pipeline: Any, card: dict[str, Any]) -> Tagger:
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"Model file {path} holds a {type(pipeline).__name__}, not a Pipeline")
    try:
        tagger = Tagger(pipeline, card)
    except Exception as exc:
        raise ModelError(f"Model file {path} holds an unusable pipeline: {exc}") from exc
    if "labels" in card and list(tagger.labels) != [str(label) for label in card["labels"]]:
        raise ModelError(f"Model {path} labels {tagger.labels} differ from its card")
    return tagger


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ModelError(f"{what} {path} could not be read: {exc}") from exc


def _read_card(path: Path) -> dict[str, Any]:
    raw = _read(card_path(path), "Model card")
    try:
        card = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise ModelError(f"Model card {card_path(path)} is not valid JSON: {exc}") from exc
    if not isinstance(card, dict) or "version" not in card:
        raise ModelError(f"Model card {card_path(path)} has no version")
    return card


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
