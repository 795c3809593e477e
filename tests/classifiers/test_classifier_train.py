"""load_labeled and train_model, with the model card they produce."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from classifiers import load_labeled, train_model
from classifiers.train import METRICS_KIND, data_sha256

from .conftest import LABELS, TEXTS


@pytest.fixture(scope="module")
def trained() -> tuple[object, dict]:
    return train_model(TEXTS, LABELS, source_rows=["hand"] * 30 + ["queue"] * 10)


def test_card_describes_data_libraries_and_metrics(trained: tuple[object, dict]) -> None:
    _, card = trained
    assert card["n_train"] == 40
    assert card["labels"] == ["complaint", "inquiry", "other", "praise"]
    assert card["label_counts"] == {"complaint": 10, "inquiry": 10, "other": 10, "praise": 10}
    assert card["data_sha256"] == data_sha256(TEXTS, LABELS)
    assert card["version"].endswith("-" + card["data_sha256"][:8])
    assert card["created_at"].endswith("+00:00")
    assert set(card["library_versions"]) == {"scikit-learn", "skops", "numpy", "scipy", "python"}
    assert card["source_counts"] == {"hand": 30, "queue": 10}


def test_card_metrics_are_labelled_as_training_cross_validation(trained: tuple[object, dict]) -> None:
    metrics = trained[1]["metrics"]
    assert metrics["kind"] == METRICS_KIND
    assert metrics["cv_folds"] == 5
    assert 0.0 <= metrics["macro_f1"] <= 1.0
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert set(metrics["per_label"]) == set(LABELS)
    assert set(metrics["per_label"]["praise"]) == {"precision", "recall", "f1", "support"}
    assert sum(row["support"] for row in metrics["per_label"].values()) == 40


def test_trained_pipeline_predicts_the_label_set(trained: tuple[object, dict]) -> None:
    pipeline, _ = trained
    assert set(pipeline.predict(["الشارع مكسر", "when will the bridge reopen?"])) <= set(LABELS)


def test_data_hash_ignores_row_order_but_not_labels() -> None:
    rows = list(zip(TEXTS, LABELS))
    shuffled = rows[::-1]
    assert data_sha256(*zip(*shuffled)) == data_sha256(TEXTS, LABELS)
    assert data_sha256(TEXTS, ["other"] + LABELS[1:]) != data_sha256(TEXTS, LABELS)


def test_training_reports_progress() -> None:
    steps: list[str] = []
    train_model(TEXTS, LABELS, progress=steps.append)
    assert steps[0].startswith("Cross-validating") and steps[-1].startswith("Trained model")


def test_few_examples_per_label_train_but_skip_metrics() -> None:
    texts = ["broken road", "road broken again", "thank you", "thanks a lot"]
    pipeline, card = train_model(texts, ["complaint", "complaint", "praise", "praise"])
    assert card["metrics"]["cv_folds"] == 0
    assert "fewer than 3" in card["metrics"]["skipped"]
    assert list(pipeline.classes_) == ["complaint", "praise"]


def test_mismatched_texts_and_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        train_model(["a", "b"], ["other"])


def test_load_labeled_reads_every_csv_and_drops_empty_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pd.DataFrame({"text": ["الشارع مكسر", "", "thanks"], "label": ["complaint", "praise", " praise "]}).to_csv(
        tmp_path / "a.csv", index=False
    )
    pd.DataFrame({"text": ["when?", "NA"], "label": ["inquiry", ""], "source": ["queue", "queue"]}).to_csv(
        tmp_path / "b.csv", index=False
    )
    (tmp_path / "notes.txt").write_text("not a csv", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="classifiers.train"):
        frame = load_labeled(tmp_path)
    assert frame["text"].tolist() == ["الشارع مكسر", "thanks", "when?"]
    assert frame["label"].tolist() == ["complaint", "praise", "inquiry"]
    assert frame["source"].tolist() == ["", "", "queue"]
    assert list(frame.columns) == ["text", "label", "unit", "lang", "source"]
    assert "dropped 1 row" in caplog.text


def test_load_labeled_refuses_a_csv_without_a_label_column(tmp_path: Path) -> None:
    pd.DataFrame({"text": ["x"]}).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(ValueError, match="lacks required column.*label"):
        load_labeled(tmp_path)


def test_load_labeled_refuses_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No labelled CSV files"):
        load_labeled(tmp_path)
