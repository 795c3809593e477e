"""Evaluation protocols on a tiny synthetic set, and `monitor evaluate --quick` on the real sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifiers.evaluate import (
    BEGIN,
    END,
    Report,
    Result,
    Settings,
    choose_threshold,
    confusion,
    correct,
    cross_val_labels,
    mapped_scores,
    run_evaluation,
    threshold_curve,
    trained_sets,
    write_markdown,
    zero_shot_sets,
)
from tests.cli_run import monitor
from tests.conftest import IN_CI, REPO

from .conftest import CORPUS, LABELS, TEXTS

DATASETS = REPO.parent / "shared" / "datasets"
COLUMNS = ["id", "text", "label_original", "label_mapped", "lang", "source"]


def write_set(root: Path, name: str, rows: list[tuple[str, str, str]], lang: str) -> None:
    """A data set folder like ../shared/datasets: (text, label_original, label_mapped) rows."""
    frame = pd.DataFrame(
        [(str(i), text, original, mapped, lang, "synthetic") for i, (text, original, mapped) in enumerate(rows)],
        columns=COLUMNS,
    )
    (root / name).mkdir(parents=True)
    frame.to_csv(root / name / f"{name}.csv", index=False)


def test_mapped_scores_give_precision_only_where_the_rest_is_told_apart() -> None:
    mapped = ["COMPLAINT", "COMPLAINT", "PRAISE", "OTHER_OR_INQUIRY", "OTHER_OR_INQUIRY"]
    predicted = ["complaint", "inquiry", "complaint", "other", "inquiry"]
    scores = mapped_scores(mapped, predicted).set_index("mapped")
    assert scores.loc["COMPLAINT", "recall"] == 0.5
    assert scores.loc["COMPLAINT", "precision"] == 0.5
    assert scores.loc["OTHER_OR_INQUIRY", "recall"] == 1.0
    assert scores.loc["OTHER_OR_INQUIRY", "precision"] == 2 / 3


def test_overlapping_mapped_values_get_no_precision() -> None:
    scores = mapped_scores(["NOT_COMPLAINT", "OTHER_OR_INQUIRY"], ["other", "other"]).set_index("mapped")
    assert np.isnan(scores.loc["NOT_COMPLAINT", "precision"])
    assert scores.loc["NOT_COMPLAINT", "recall"] == 1.0


def test_a_prediction_is_correct_when_the_mapping_allows_its_tag() -> None:
    assert correct(["NOT_COMPLAINT", "NOT_COMPLAINT", "COMPLAINT"], ["praise", "complaint", "complaint"]).tolist() == [
        True, False, True]


def test_confusion_rows_are_truths_and_columns_predictions() -> None:
    matrix = confusion(["a", "a", "b"], ["a", "b", "b"], columns=["a", "b", "c"])
    assert matrix.loc["a"].tolist() == [1, 1, 0]
    assert matrix.loc["b"].tolist() == [0, 1, 0]


def test_threshold_is_the_lowest_confidence_reaching_the_target_precision() -> None:
    pooled = pd.DataFrame({
        "set": ["s"] * 4,
        "confidence": [0.35, 0.55, 0.75, 0.95],
        "correct": [False, False, True, True],
    })
    curve = threshold_curve(pooled)
    assert choose_threshold(curve, 0.8) == 0.6
    assert curve.set_index("threshold").loc[0.6, "coverage"] == 0.5


def test_out_of_fold_predictions_cover_every_row() -> None:
    predicted = cross_val_labels(TEXTS, LABELS, folds=3)
    assert len(predicted) == len(TEXTS) and set(predicted) <= set(CORPUS)


def test_sets_mapped_into_training_are_named_from_the_source_column() -> None:
    labeled = pd.DataFrame({"source": ["written", "mapped:arsarcasm_ar", "mapped:arsarcasm_ar", ""]})
    assert trained_sets(labeled) == {"arsarcasm_ar"}


def test_zero_shot_skips_trained_and_unlabelled_sets(tmp_path: Path) -> None:
    write_set(tmp_path, "a_ar", [("نص", "neg", "COMPLAINT")], "ar")
    write_set(tmp_path, "b_en", [("text", "", "UNLABELED")], "en")
    write_set(tmp_path, "c_en", [("text", "pos", "PRAISE")], "en")
    assert zero_shot_sets(tmp_path, exclude={"c_en"}) == ["a_ar"]


def test_zero_shot_protocol_scores_the_shipped_model_per_set_and_language(tmp_path: Path) -> None:
    datasets, labeled = tmp_path / "datasets", tmp_path / "labeled"
    labeled.mkdir()
    pd.DataFrame({"text": TEXTS, "label": LABELS, "source": "written"}).to_csv(labeled / "corpus.csv", index=False)
    write_set(datasets, "tiny_en", [(t, "neg", "COMPLAINT") for t in CORPUS["complaint"][4:8]]
              + [(t, "pos", "PRAISE") for t in CORPUS["praise"][4:8]], "en")
    write_set(datasets, "tiny_ar", [(t, "x", "OTHER_OR_INQUIRY") for t in CORPUS["inquiry"][:4]], "ar")
    report = run_evaluation(Settings(datasets, labeled, only=("zero-shot",), n_jobs=1), "monitor evaluate")
    names = [result.name for result in report.results]
    assert names == ["shipped model", "zero-shot: tiny_ar", "zero-shot: tiny_en", "zero-shot: pooled"]
    tiny_en = report.results[2]
    assert tiny_en.tables["precision and recall per mapped tag"]["rows"].tolist() == [4, 4]
    pooled = report.results[-1]
    assert any(title.startswith("ar:") for title in pooled.tables)
    assert 0.3 <= pooled.metrics["review_threshold"] <= 0.95


def test_markdown_keeps_the_hand_written_text_around_the_figures(tmp_path: Path) -> None:
    path = tmp_path / "classifier.md"
    path.write_text(f"# Intro\n\nhand-written\n\n{BEGIN}\nold figures\n{END}\n\n## After\n", encoding="utf-8")
    result = Result("ajgt_ar", "AJGT", "10-fold", {"accuracy": 0.9}, {"all": confusion(["a"], ["a"])})
    write_markdown(Report([result], "monitor evaluate", quick=False), path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Intro\n\nhand-written") and text.rstrip().endswith("## After")
    assert "old figures" not in text
    assert "| ajgt_ar | accuracy | 0.9000 | `monitor evaluate --only ajgt_ar --out /tmp/ajgt_ar.md` |" in text


@pytest.mark.slow
def test_monitor_evaluate_quick_writes_the_markdown_from_the_real_sets(tmp_path: Path) -> None:
    if not DATASETS.is_dir():
        if IN_CI:
            pytest.fail(f"public data sets missing at {DATASETS} (required because CI is set)")
        pytest.skip(f"public data sets not found at {DATASETS}")
    out = tmp_path / "classifier.md"
    monitor(tmp_path, "evaluate", "--quick", "--datasets", str(DATASETS), "--out", str(out))
    text = out.read_text(encoding="utf-8")
    for name in ("complaints_preotiuc2019_en", "ajgt_ar", "tweet_acts_tac_en", "zero-shot: pooled"):
        assert f"### {name}" in text
    assert "Quick run" in text and "Confusion matrix" in text
    assert "needs_review threshold" in text
