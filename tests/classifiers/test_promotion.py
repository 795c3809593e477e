"""The promotion rule: a candidate becomes current only if it is not worse on the fixed evaluation split."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from classifiers import TOLERANCE, load_model, registry, retrain
from classifiers.promotion import decide, holdout_mask, in_holdout
from tests.conftest import DATA

SWAP = {"complaint": "praise", "praise": "complaint", "inquiry": "other", "other": "inquiry"}


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    """60 written posts per tag (they have units): enough for every tag and unit on both sides of the split."""
    from classifiers import load_labeled

    frame = load_labeled(DATA / "labeled")
    frame = frame[frame["source"] == "written"]
    return frame.groupby("label", group_keys=False).head(60).reset_index(drop=True)


def mislabelled(corpus: pd.DataFrame) -> pd.DataFrame:
    """Reviewers swapped every tag of the rows the candidate trains on (not of the held-out rows)."""
    frame = corpus.copy()
    train = ~holdout_mask(frame)
    frame.loc[train, "label"] = frame.loc[train, "label"].map(SWAP)
    return frame


def test_the_split_is_fixed_by_text_about_a_fifth_and_never_holds_out_corrections(corpus):
    share = holdout_mask(corpus).mean()
    assert 0.1 < share < 0.3
    assert [in_holdout(text) for text in corpus["text"]] == [in_holdout(text) for text in corpus["text"]]
    assert in_holdout("الطريق مغلق") == in_holdout("الطريـــق مُغلق")  # tatweel and diacritics normalise away
    corrections = corpus.assign(source="correction")
    assert not holdout_mask(corrections).any()


def test_the_first_model_is_promoted_and_an_equal_one_too(tmp_path, corpus):
    first = retrain(tmp_path, corpus)
    assert first["promoted"] and first["reason"] == "no current model"
    second = retrain(tmp_path, corpus)
    assert second["promoted"] and second["reason"].startswith("not worse")
    assert second["candidate"]["tagger"] == pytest.approx(second["current"]["tagger"], abs=TOLERANCE)
    assert registry.current_version(tmp_path) == second["version"]
    assert load_model(registry.current_model_path(tmp_path, "units")).labels[-1] == "triage"


def test_a_worse_candidate_is_kept_with_its_decision_but_not_promoted(tmp_path, corpus):
    good = retrain(tmp_path, corpus)
    worse = retrain(tmp_path, mislabelled(corpus))
    assert not worse["promoted"] and worse["reason"].startswith("worse than the current model on tagger")
    assert worse["candidate"]["tagger"] < worse["current"]["tagger"] - TOLERANCE
    assert registry.current_version(tmp_path) == good["version"]
    card = json.loads((tmp_path / worse["version"] / "tagger.skops.card.json").read_text())
    assert card["promotion"]["promoted"] is False and card["promotion"]["tolerance"] == TOLERANCE
    assert [v.name for v in registry.list_versions(tmp_path)] == [good["version"], worse["version"]]


def test_force_promotes_a_worse_candidate_and_says_so(tmp_path, corpus):
    retrain(tmp_path, corpus)
    forced = retrain(tmp_path, mislabelled(corpus), force=True)
    assert forced["promoted"] and forced["forced"] and forced["reason"].startswith("forced despite")
    assert registry.current_version(tmp_path) == forced["version"]


@pytest.mark.parametrize(("candidate", "promoted"), [(0.795, True), (0.80, True), (0.7949, False)])
def test_not_worse_means_within_the_tolerance(candidate, promoted):
    decision = decide({"tagger": candidate, "units": 0.7}, {"version": "v1", "tagger": 0.80, "units": 0.7},
                      force=False)
    assert decision["promoted"] is promoted


def test_a_worse_unit_model_also_blocks_promotion():
    decision = decide({"tagger": 0.9, "units": 0.5}, {"version": "v1", "tagger": 0.8, "units": 0.7}, force=False)
    assert not decision["promoted"] and "units" in decision["reason"]
