"""The model registry: versions kept with their cards, a pointer to the current one, rollback."""

from __future__ import annotations

import shutil

import pytest

from classifiers import ModelError, card_path, load_model, registry


@pytest.fixture
def two_versions(tmp_path, tiny_model_path):
    """A registry where v1 was promoted, then v2 (each a copy of the tiny tagger)."""
    for name in ("v1", "v2"):
        target = registry.model_file(tmp_path, name)
        target.parent.mkdir()
        shutil.copy(tiny_model_path, target)
        shutil.copy(card_path(tiny_model_path), card_path(target))
        registry.promote(tmp_path, name)
    return tmp_path


def test_a_bare_tagger_file_is_the_current_model_when_there_is_no_pointer(tmp_path):
    assert registry.current_version(tmp_path) is None
    assert registry.current_model_path(tmp_path) == tmp_path / "tagger.skops"
    assert registry.current_model_path(tmp_path, registry.UNITS) is None


def test_the_pointer_names_the_current_version(two_versions):
    assert registry.current_version(two_versions) == "v2"
    assert registry.current_model_path(two_versions) == two_versions / "v2" / "tagger.skops"
    assert load_model(registry.current_model_path(two_versions)).labels


def test_rollback_restores_the_previous_model_and_a_second_rollback_goes_further_back(two_versions):
    registry.promote(two_versions, "v1")
    registry.promote(two_versions, "v2")  # history: v1, v2, v1, v2
    assert registry.rollback(two_versions) == "v1"
    assert registry.rollback(two_versions) == "v2"
    assert [(v.name, v.current) for v in registry.list_versions(two_versions)] == [("v1", False), ("v2", True)]


def test_rollback_to_a_named_version(two_versions):
    assert registry.rollback(two_versions, "v1") == "v1"
    assert registry.current_version(two_versions) == "v1"


def test_rollback_without_a_previous_model_or_to_an_unknown_one_is_refused(tmp_path, two_versions):
    with pytest.raises(ModelError, match="no model version 'v9'"):
        registry.rollback(two_versions, "v9")
    with pytest.raises(ModelError, match="no previous model"):
        registry.rollback(tmp_path / "empty")


def test_a_corrupt_pointer_is_a_clear_model_error(tmp_path):
    (tmp_path / registry.POINTER).write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        registry.current_version(tmp_path)


def test_a_version_name_clash_gets_a_suffix(tmp_path, tiny_tagger):
    models = {registry.TAGGER: (tiny_tagger.pipeline, {**tiny_tagger.card, "version": "v1"})}
    assert registry.save_version(tmp_path, models) == "v1"
    assert registry.save_version(tmp_path, models) == "v1-2"
    assert load_model(registry.model_file(tmp_path, "v1-2")).version == "v1-2"
