"""Rebuild ``data/labeled/mapped.csv`` from public sets whose licence allows redistribution.

    .venv/bin/python data/labeled/build_mapped.py [--datasets ../shared/datasets]

Deterministic (fixed seed). Rules and attribution: see README.md in this folder. A row is
left out when its normalised text also occurs in any set that is not mapped here, so no
evaluation row enters the training corpus.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from classifiers.text import normalize_text

HERE = Path(__file__).resolve().parent
SEED = 0
MAPPED_SETS = ("arsarcasm_ar", "tweet_acts_tac_en")
# arsarcasm_ar: rows per tag, Gulf-dialect rows first, then a seeded sample of the rest.
ARSARCASM_CAPS = {"complaint": 550, "praise": 550, "other": 400}
# tweet_acts_tac_en: questions kept, a seeded sample, so that English inquiries do not
# outnumber English complaints by much more than in written.csv (138 vs 229).
TWEET_ACTS_QUESTIONS = 250
_QUESTION = re.compile("[?؟]")


def read(datasets: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(datasets / name / f"{name}.csv", dtype=str, keep_default_na=False)


def tweet_acts(datasets: Path) -> pd.DataFrame:
    """QUE (question) -> inquiry, as the set's mapping says; other acts have no tag."""
    frame = read(datasets, "tweet_acts_tac_en")
    frame = frame[(frame["label_original"] == "QUE") & (frame["is_duplicate_text"] != "True")]
    return frame.sample(TWEET_ACTS_QUESTIONS, random_state=SEED).assign(label="inquiry")


def arsarcasm(datasets: Path) -> pd.DataFrame:
    """negative -> complaint; positive, not sarcastic -> praise; neutral without '?' -> other.

    Only rows re-annotated from SemEval: the ASTD-origin rows are also in astd_ar, an
    evaluation set.
    """
    frame = read(datasets, "arsarcasm_ar")
    frame = frame[(frame["origin_corpus"] == "semeval") & (frame["is_duplicate_text"] != "True")]
    negative = frame["label_original"] == "negative"
    praise = (frame["label_original"] == "positive") & (frame["sarcasm"] == "False")
    other = (frame["label_original"] == "neutral") & ~frame["text"].str.contains(_QUESTION)
    frame = frame.assign(label=None)
    frame.loc[negative, "label"] = "complaint"
    frame.loc[praise, "label"] = "praise"
    frame.loc[other, "label"] = "other"
    frame = frame[frame["label"].notna()]
    return pd.concat([_take(group, ARSARCASM_CAPS[label]) for label, group in frame.groupby("label")])


def _take(group: pd.DataFrame, cap: int) -> pd.DataFrame:
    shuffled = group.sample(frac=1.0, random_state=SEED)
    ordered = pd.concat([shuffled[shuffled["dialect"] == "gulf"], shuffled[shuffled["dialect"] != "gulf"]])
    return ordered.head(cap)


def evaluation_texts(datasets: Path) -> set[str]:
    """Normalised texts of every set that is not mapped into training."""
    texts: set[str] = set()
    for folder in sorted(datasets.iterdir()):
        csv = folder / f"{folder.name}.csv"
        if folder.name not in MAPPED_SETS and csv.exists():
            texts.update(normalize_text(text) for text in read(datasets, folder.name)["text"])
    return texts


def build(datasets: Path) -> pd.DataFrame:
    parts = {"tweet_acts_tac_en": tweet_acts(datasets), "arsarcasm_ar": arsarcasm(datasets)}
    frame = pd.concat([part.assign(source=f"mapped:{name}") for name, part in parts.items()])
    frame = frame.assign(unit="", key=frame["text"].map(normalize_text))
    written = pd.read_csv(HERE / "written.csv", dtype=str, keep_default_na=False)
    taken = evaluation_texts(datasets) | {normalize_text(text) for text in written["text"]}
    frame = frame[~frame["key"].isin(taken) & (frame["key"] != "")].drop_duplicates("key")
    return frame[["text", "label", "unit", "lang", "source"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=HERE.parents[2] / "shared" / "datasets")
    args = parser.parse_args()
    frame = build(args.datasets)
    frame.to_csv(HERE / "mapped.csv", index=False)
    print(pd.crosstab(frame["source"], frame["label"], margins=True))


if __name__ == "__main__":
    main()
