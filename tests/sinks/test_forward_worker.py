"""The worker's forwarding jobs: fixed ids, one instance, coalesced, with a grace time."""

import pytest

from monitor.errors import ConfigError
from monitor.services import Services
from monitor.settings import Settings
from monitor.worker import FORWARD_SECONDS, FORWARD_SYNC_SECONDS, build_scheduler
from tests.sinks.conftest import complaints_settings


def test_forward_sync_and_the_nightly_reconcile_are_scheduled(open311_server, tmp_path):
    services = Services(complaints_settings(open311_server[1], tmp_path))
    scheduler = build_scheduler(services)
    jobs = {job_id: scheduler.get_job(job_id) for job_id in ("forward", "forward-sync", "forward-reconcile")}
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    assert jobs["forward"].misfire_grace_time == FORWARD_SECONDS
    assert jobs["forward-sync"].misfire_grace_time == FORWARD_SYNC_SECONDS
    assert jobs["forward-reconcile"].args == (services, True)
    services.complaints_sink.close()
    services.engine.dispose()


def test_a_complaints_system_on_a_private_address_stops_the_worker_at_start_up(tmp_path):
    services = Services(Settings(home=tmp_path, complaints_url="http://10.0.0.7/open311/"))
    with pytest.raises(ConfigError, match="non-public address"):
        build_scheduler(services)
    services.engine.dispose()
