"""`monitor train`, `monitor model list` and `monitor model rollback` as an operator uses them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from classifiers import load_labeled
from monitor import models
from monitor.db import make_engine
from tests.cli_run import monitor
from tests.conftest import DATA
from tests.test_cli import assert_one_line_error

CORRECTED = "the new roundabout sign is hidden behind a tree"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The shipped data with a smaller labelled corpus (50 written posts per tag), so training is quick."""
    target = tmp_path_factory.mktemp("data")
    shutil.copytree(DATA, target, dirs_exist_ok=True)
    shutil.rmtree(target / "labeled")
    (target / "labeled").mkdir()
    corpus = load_labeled(DATA / "labeled").query("source == 'written'").groupby("label", group_keys=False).head(50)
    corpus.to_csv(target / "labeled" / "written.csv", index=False)
    return target


@pytest.fixture(scope="module")
def home(tmp_path_factory, data_dir):
    """A migrated home with one stored correction, trained twice."""
    home = tmp_path_factory.mktemp("home")
    monitor(home, "migrate", data_dir=str(data_dir))
    engine = make_engine(f"sqlite:///{home / 'monitor.db'}")
    with Session(engine) as session:
        session.add(models.LabeledExample(text=CORRECTED, label="complaint", unit_slug="roads",
                                          created_at=datetime.now(UTC)))
        session.commit()
    engine.dispose()
    return home


def model_lines(home, data_dir):
    return monitor(home, "model", "list", data_dir=str(data_dir)).stdout.splitlines()


def test_train_includes_the_corrections_and_prints_its_decision(home, data_dir):
    first = monitor(home, "train", data_dir=str(data_dir)).stdout
    assert "trained on 201 posts incl. 1 correction(s) from the database" in first
    assert "promoted: no current model" in first
    second = monitor(home, "train", data_dir=str(data_dir)).stdout
    assert "promoted: not worse than the current model on tagger" in second
    lines = model_lines(home, data_dir)
    assert [line[0] for line in lines] == [" ", "*"]


def test_rollback_restores_the_previous_model_and_the_list_marks_it(home, data_dir):
    before = model_lines(home, data_dir)
    result = monitor(home, "model", "rollback", data_dir=str(data_dir))
    previous = before[0].split()[0]
    assert f"current model is now {previous}" in result.stdout
    after = model_lines(home, data_dir)
    assert after[0].startswith(f"* {previous}") and after[1].startswith(" ")
    (home / "in.csv").write_text("text\nthanks for fixing the road\n")
    assert "label" in monitor(home, "classify", str(home / "in.csv"), data_dir=str(data_dir)).stdout
    assert_one_line_error(monitor(home, "model", "rollback", check=False, data_dir=str(data_dir)),
                          "no previous model")


def test_train_without_a_database_uses_the_shipped_corpus(tmp_path, data_dir):
    result = monitor(tmp_path, "train", data_dir=str(data_dir)).stdout
    assert "no database corrections" in result and not (tmp_path / "monitor.db").exists()
    assert pd.read_csv(data_dir / "labeled" / "written.csv").shape[0] == 200
