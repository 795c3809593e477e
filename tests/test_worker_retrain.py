"""The worker's nightly retrain job and how a running worker picks up a new current model."""

from __future__ import annotations

import shutil

import pytest
from apscheduler.triggers.cron import CronTrigger

from classifiers import load_labeled, registry
from monitor.services import Services
from monitor.settings import Settings
from monitor.worker import RETRAIN_GRACE_SECONDS, build_scheduler, retrain_job
from tests.conftest import DATA


@pytest.fixture
def services(tmp_path, engine):
    data = tmp_path / "data"
    (data / "labeled").mkdir(parents=True)
    shutil.copy(DATA / "units.yaml", data / "units.yaml")
    corpus = load_labeled(DATA / "labeled").query("source == 'written'").groupby("label", group_keys=False).head(40)
    corpus.to_csv(data / "labeled" / "written.csv", index=False)
    settings = Settings(home=tmp_path / "home", data_dir=data,
                        database_url=engine.url.render_as_string(hide_password=False))
    services = Services(settings)
    yield services
    services.engine.dispose()


def test_the_retrain_job_runs_nightly_at_two_in_the_ministry_time_zone(services):
    job = build_scheduler(services).get_job("retrain")
    assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == services.settings.timezone
    assert {field.name: str(field) for field in job.trigger.fields}["hour"] == "2"
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, RETRAIN_GRACE_SECONDS)


def test_the_retrain_job_promotes_a_model_and_the_worker_reloads_it(services):
    retrain_job(services)
    first = registry.current_version(services.settings.models_dir)
    assert services.tagger.version == first and services.routing.unit_model is not None
    retrain_job(services)  # same data: not worse, promoted
    second = registry.current_version(services.settings.models_dir)
    assert second != first and services.tagger.version == second
    registry.rollback(services.settings.models_dir)
    services.refresh_models()  # what the inbound job does first
    assert services.tagger.version == first


def test_loaded_models_are_kept_out_of_the_collectors_walk_until_replaced(services):
    import gc

    retrain_job(services)
    tagger = services.tagger
    assert gc.get_freeze_count() > 0
    assert all(obj is not tagger.pipeline for obj in gc.get_objects(generation=2))  # frozen: in no generation
    retrain_job(services)  # a new version becomes current
    services.refresh_models()
    assert gc.get_freeze_count() == 0  # the old model can be collected again
    assert services.tagger is not tagger and gc.get_freeze_count() > 0
    gc.unfreeze()
