"""The Open311 client on its own, against the stand-in: discovery, errors, the address check."""

import pytest

from monitor.errors import ConfigError
from monitor.sinks import SinkError
from monitor.sinks.complaints import Complaint, ComplaintsSink, check_public, marker
from tests.sinks.conftest import complaints_settings


def complaint(key: str = "k1", code: str = "POTHOLE") -> Complaint:
    return Complaint(key, code, f"pothole {marker(key)}")


def test_service_discovery_lists_the_systems_service_codes(sink):
    assert "POTHOLE" in {service["service_code"] for service in sink.services()}


def test_a_request_gets_an_id_and_can_be_found_again_by_its_key(sink, open311):
    receipt = sink.send(complaint("abc"))
    assert receipt.external_id and receipt.token is None
    assert sink.find(complaint("abc")) == receipt
    assert sink.find(complaint("other")) is None
    [post, *gets] = open311.received
    assert post[:2] == ("POST", "requests.json") and post[2]["api_key"] == "test-open311-key"  # in the body
    assert all("api_key" not in call[2] for call in gets)  # never in a URL, where logs would keep it


def test_an_open311_error_body_becomes_a_permanent_error_with_its_reason(sink, open311):
    open311.fail_next("400")
    with pytest.raises(SinkError, match="service_code is not valid") as caught:
        sink.send(complaint())
    assert caught.value.permanent


def test_server_errors_and_timeouts_are_transient(sink, open311):
    open311.fail_next("500")
    open311.fail_next("slow")
    for _ in range(2):
        with pytest.raises(SinkError) as caught:
            sink.send(complaint())
        assert not caught.value.permanent


def test_a_wrong_api_key_is_permanent_and_says_so(open311, open311_server, tmp_path):
    sink = ComplaintsSink(complaints_settings(open311_server[1], tmp_path, complaints_api_key="wrong"), {})
    with pytest.raises(SinkError, match="refused our API key") as caught:
        sink.send(complaint())
    assert caught.value.permanent
    sink.close()


def test_a_missing_service_code_is_a_permanent_failure_naming_the_unit_and_tag(sink):
    with pytest.raises(SinkError, match="unit triage and tag complaint") as caught:
        sink.service_code("triage", "complaint")
    assert caught.value.permanent


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://10.1.2.3/", "http://localhost/", "http://[::1]/"])
def test_loopback_and_private_addresses_are_refused_unless_allowed(url):
    with pytest.raises(ConfigError, match="non-public address"):
        check_public(url, allow_private=False)
    check_public(url, allow_private=True)


def test_forwarding_is_off_without_a_url(tmp_path):
    with pytest.raises(ConfigError, match="MONITOR_COMPLAINTS_URL"):
        ComplaintsSink(complaints_settings(None, tmp_path), {})
