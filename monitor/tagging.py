"""Tag a file of texts: CSV or JSONL in, every column plus `label` and `confidence` out."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from monitor.errors import MonitorError
from monitor.pipeline.classify import Tagger


class InputFileError(MonitorError):
    """The file to tag cannot be read as asked."""


def read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputFileError(f"no such file: {path}")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}") from exc
    if "text" not in frame.columns:
        raise InputFileError(f"{path} has no `text` column (columns: {', '.join(map(str, frame.columns))})")
    return frame


def classify_file(path: Path, output: Path | None, tagger: Tagger) -> pd.DataFrame:
    frame = read_table(path)
    texts = ["" if pd.isna(value) else str(value) for value in frame["text"]]
    predictions = tagger.predict(texts)
    frame["label"] = [prediction.label for prediction in predictions]
    frame["confidence"] = [round(float(prediction.confidence), 4) for prediction in predictions]
    if output is None:
        frame.to_csv(sys.stdout, index=False)
    elif output.suffix.lower() in (".jsonl", ".ndjson"):
        frame.to_json(output, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(output, index=False)
    return frame
