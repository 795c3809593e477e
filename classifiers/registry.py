"""The model registry: every trained model kept with its card, and a pointer to the current one.

Layout of a registry folder (``MONITOR_HOME/models/``)::

    current.json                   {"version": ..., "history": [older, ..., current]}
    <version>/tagger.skops         the tag model, fitted on all training rows
    <version>/tagger.skops.card.json
    <version>/units.skops          the unit model (text -> unit slug), same rows
    <version>/tagger-holdout.skops the same recipe fitted without the fixed evaluation
    <version>/units-holdout.skops  split: what the promotion rule compares (see promotion.py)

One folder per version keeps the files trained together together, so a rollback moves all
of them at once. ``current.json`` is replaced atomically; its history is the order in which
versions were made current, so ``rollback()`` goes back one step. A bare ``tagger.skops``
in the folder (the layout before the registry) is the current model when there is no pointer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.persist import ModelError, card_path, save_model

POINTER = "current.json"
LEGACY_MODEL = "tagger.skops"
TAGGER, UNITS = "tagger", "units"


@dataclass(frozen=True)
class Version:
    """One registered model version and what its tagger card says about it."""

    name: str
    card: dict[str, Any]
    current: bool


def model_file(root: Path, version: str, kind: str = TAGGER, *, holdout: bool = False) -> Path:
    """Return the path of one model file of `version` (``kind`` is "tagger" or "units")."""
    return Path(root) / version / f"{kind}{'-holdout' if holdout else ''}.skops"


def current_version(root: Path) -> str | None:
    """Return the version the pointer names, or None when there is no pointer."""
    history = _read_pointer(Path(root)).get("history", [])
    return history[-1] if history else None


def current_model_path(root: Path, kind: str = TAGGER) -> Path | None:
    """Return the current model file of `kind`; None if the current version has none.

    Without a pointer the tagger is the bare ``tagger.skops`` (which may not exist yet)
    and there is no unit model.
    """
    version = current_version(root)
    if version is None:
        return Path(root) / LEGACY_MODEL if kind == TAGGER else None
    path = model_file(root, version, kind)
    return path if kind == TAGGER or path.exists() else None


def save_version(root: Path, models: Mapping[str, tuple[Any, Mapping[str, Any]]]) -> str:
    """Save fitted `models` ({file stem: (pipeline, card)}) as a new version; return its name.

    The version is the tagger card's ``version``; a clash gets a ``-2``, ``-3``... suffix,
    written into every card. The pointer is not touched: see `promote`.
    """
    root = Path(root)
    base = str(models[TAGGER][1]["version"])
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}-{n}"
    for stem, (pipeline, card) in models.items():
        save_model(pipeline, root / name / f"{stem}.skops", {**card, "version": name})
    return name


def promote(root: Path, version: str) -> None:
    """Make `version` current."""
    root = Path(root)
    _require(root, version)
    pointer = _read_pointer(root)
    history = [*pointer.get("history", []), version]
    _write_pointer(root, {"version": version, "history": history,
                          "updated_at": datetime.now(UTC).isoformat(timespec="seconds")})


def rollback(root: Path, version: str | None = None) -> str:
    """Make `version` (default: the one current before the current one) current; return it."""
    root = Path(root)
    history = list(_read_pointer(root).get("history", []))
    if version is None:
        if len(history) < 2:
            raise ModelError("no previous model to roll back to")
        history.pop()
        version = history[-1]
    else:
        _require(root, version)
        history.append(version)
    _write_pointer(root, {"version": version, "history": history,
                          "updated_at": datetime.now(UTC).isoformat(timespec="seconds")})
    return version


def list_versions(root: Path) -> list[Version]:
    """Every registered version, oldest first by its card's creation time."""
    root = Path(root)
    current = current_version(root)
    versions = []
    for path in sorted(root.glob(f"*/{TAGGER}.skops")):
        card = _load_card(path)
        versions.append(Version(path.parent.name, card, path.parent.name == current))
    return sorted(versions, key=lambda v: (str(v.card.get("created_at", "")), v.name))


def _require(root: Path, version: str) -> None:
    if not model_file(root, version).exists():
        known = ", ".join(v.name for v in list_versions(root)) or "none"
        raise ModelError(f"no model version {version!r} in {root} (known: {known})")


def _load_card(model: Path) -> dict[str, Any]:
    try:
        return json.loads(card_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _read_pointer(root: Path) -> dict[str, Any]:
    try:
        pointer = json.loads((root / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelError(f"model pointer {root / POINTER} is unreadable: {exc}") from exc
    if not isinstance(pointer, dict) or not isinstance(pointer.get("history", []), list):
        raise ModelError(f"model pointer {root / POINTER} is not a registry pointer")
    return pointer


def _write_pointer(root: Path, pointer: Mapping[str, Any]) -> None:
    _write_atomic(root / POINTER, json.dumps(pointer, indent=2))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
