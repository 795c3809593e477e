"""The shipped corpus in data/labeled/: big enough, every row's source named, no evaluation rows."""

from __future__ import annotations

import pandas as pd
import pytest

from classifiers import load_labeled, normalize_text
from classifiers.evaluate import trained_sets, zero_shot_sets
from tests.conftest import DATA, IN_CI, REPO

DATASETS = REPO.parent / "shared" / "datasets"
# Sets whose licence allows redistribution (see ../shared/datasets/README.md).
REDISTRIBUTABLE = {"arsarcasm_ar", "tweet_acts_tac_en", "ajgt_ar", "ibm_customer_care_first_msgs_en"}
TAGS = {"complaint", "praise", "inquiry", "other"}


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return load_labeled(DATA / "labeled")


def test_the_corpus_has_3000_posts_with_enough_of_every_tag(corpus: pd.DataFrame) -> None:
    assert len(corpus) >= 3000
    assert set(corpus["label"]) == TAGS
    assert corpus["label"].value_counts().min() >= 500
    assert set(corpus["lang"]) == {"ar", "en"}


def test_every_row_is_written_or_mapped_from_a_redistributable_set(corpus: pd.DataFrame) -> None:
    sources = set(corpus["source"])
    assert sources <= {"written"} | {f"mapped:{name}" for name in REDISTRIBUTABLE}
    readme = (DATA / "labeled" / "README.md").read_text(encoding="utf-8")
    for name in trained_sets(corpus):
        assert f"`{name}`" in readme, f"{name} is not credited in data/labeled/README.md"


def test_no_evaluation_row_is_in_the_corpus(corpus: pd.DataFrame) -> None:
    if not DATASETS.is_dir():
        if IN_CI:
            pytest.fail(f"public data sets missing at {DATASETS} (required because CI is set)")
        pytest.skip(f"public data sets not found at {DATASETS}")
    ours = {normalize_text(text) for text in corpus["text"]}
    evaluation = zero_shot_sets(DATASETS, exclude=trained_sets(corpus))
    assert {"ajgt_ar", "complaints_preotiuc2019_en"} <= set(evaluation)
    for name in evaluation:
        texts = pd.read_csv(DATASETS / name / f"{name}.csv", dtype=str, keep_default_na=False)["text"]
        shared = ours & {normalize_text(text) for text in texts}
        assert not shared, f"{len(shared)} row(s) of {name} are in data/labeled/, e.g. {sorted(shared)[:2]}"
