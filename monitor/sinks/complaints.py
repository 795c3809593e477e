"""ComplaintsSink: forwards a case to the national complaints system over Open311 GeoReport v2.

Calls: ``GET services.json`` (discovery), ``POST requests.json`` (form-encoded:
service_code, description, api_key, jurisdiction_id, lat/long; the spec asks the
key on POST only, and keeping it out of query strings keeps it out of logs), ``GET
tokens/{token}.json`` (a token the server gave instead of an id), ``GET
requests.json`` (statuses by ``service_request_id=a,b,c``, or the lookup below).

Idempotency: Open311 has no idempotency header, so every description ends with
``[ref <key>]``. Before retrying a request whose POST may have reached the
server (timeout, 5xx, garbled answer), ``find`` lists the service's requests
created since the first attempt (``service_code`` + ``start_date``, both in the
spec) and looks for that marker; found means sent.

Errors become ``SinkError``: Open311 error bodies (``[{"code": 400,
"description": "..."}]``) give the reason; 4xx is permanent (408 and 429
excepted), 5xx, timeouts and connection failures are transient. The base URL
must not be a loopback or private address unless MONITOR_COMPLAINTS_ALLOW_PRIVATE.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import yaml

from monitor.errors import ConfigError
from monitor.settings import Settings
from monitor.sinks.base import SinkError

RETRYABLE_4XX = (408, 429)


@dataclass(frozen=True)
class Complaint:
    idempotency_key: str
    service_code: str
    description: str
    lat: float | None = None
    long: float | None = None
    since: datetime | None = None  # when the first attempt was made: where `find` starts looking


@dataclass(frozen=True)
class ComplaintReceipt:
    external_id: str | None
    token: str | None = None


@dataclass(frozen=True)
class RequestStatus:
    external_id: str
    status: str
    status_notes: str | None = None
    agency_responsible: str | None = None


def marker(idempotency_key: str) -> str:
    return f"[ref {idempotency_key}]"


def load_service_codes(path: Path) -> dict[str, dict[str, str]]:
    """unit slug -> {tag: service_code}, from the ``open311`` entry of each unit in data/units.yaml."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {unit["slug"]: dict(unit.get("open311") or {}) for unit in raw["units"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"unit catalogue {path}: {exc!r}") from exc


def check_public(url: str, *, allow_private: bool) -> None:
    """Refuse a loopback, private, link-local or reserved address unless allowed (tests only)."""
    host = urlsplit(url).hostname
    if not host:
        raise ConfigError(f"MONITOR_COMPLAINTS_URL {url!r} names no host")
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise ConfigError(f"MONITOR_COMPLAINTS_URL: cannot resolve {host}: {exc}") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise ConfigError(f"MONITOR_COMPLAINTS_URL points at a non-public address ({ip}); "
                              "set MONITOR_COMPLAINTS_ALLOW_PRIVATE=true only for tests and demos")


class ComplaintsSink:
    kind = "complaints"

    def __init__(self, settings: Settings, service_codes: dict[str, dict[str, str]]):
        if not settings.complaints_url:
            raise ConfigError("forwarding is off: set MONITOR_COMPLAINTS_URL")
        check_public(settings.complaints_url, allow_private=settings.complaints_allow_private)
        self.api_key = settings.complaints_api_key
        self.jurisdiction = settings.complaints_jurisdiction
        self.service_codes = service_codes
        self.client = httpx2.Client(base_url=settings.complaints_url.rstrip("/") + "/",
                                    timeout=settings.complaints_timeout_seconds)

    def close(self) -> None:
        self.client.close()

    def service_code(self, unit: str | None, tag: str) -> str:
        """Our unit and tag as the system's service_code; a missing mapping is a permanent failure."""
        code = self.service_codes.get(unit or "", {}).get(tag)
        if not code:
            raise SinkError(f"no Open311 service code for unit {unit or '(none)'} and tag {tag}: "
                            "add it under `open311` in data/units.yaml", permanent=True)
        return code

    def services(self) -> list[dict[str, Any]]:
        return self._call("GET", "services.json", params=self._params())

    def send(self, complaint: Complaint) -> ComplaintReceipt:
        form = {"service_code": complaint.service_code, "description": complaint.description, **self._params()}
        if self.api_key is not None:  # in the form body only: request URLs are logged, bodies are not
            form["api_key"] = self.api_key.get_secret_value()
        if complaint.lat is not None and complaint.long is not None:
            form.update(lat=str(complaint.lat), long=str(complaint.long))
        body = self._call("POST", "requests.json", data=form)
        return _receipt(body)

    def resolve_token(self, token: str) -> str | None:
        """The service_request_id a token became, or None while the system has not assigned one."""
        body = self._call("GET", f"tokens/{token}.json", params=self._params())
        found = [entry.get("service_request_id") for entry in _entries(body)]
        return next((str(value) for value in found if value), None)

    def find(self, complaint: Complaint) -> ComplaintReceipt | None:
        """The request we may already have created (its description carries our marker), if any."""
        params = {"service_code": complaint.service_code, **self._params()}
        if complaint.since is not None:
            params["start_date"] = _w3c(complaint.since)
        for entry in _entries(self._call("GET", "requests.json", params=params)):
            if marker(complaint.idempotency_key) in str(entry.get("description") or ""):
                return ComplaintReceipt(_text(entry.get("service_request_id")), _text(entry.get("token")))
        return None

    def statuses(self, external_ids: list[str], *, updated_after: datetime | None = None) -> list[RequestStatus]:
        params = {"service_request_id": ",".join(external_ids), **self._params()}
        if updated_after is not None:
            params["updated_after"] = _w3c(updated_after)
        return [RequestStatus(str(entry["service_request_id"]), str(entry.get("status") or "open"),
                              _text(entry.get("status_notes")), _text(entry.get("agency_responsible")))
                for entry in _entries(self._call("GET", "requests.json", params=params))
                if entry.get("service_request_id")]

    def _params(self) -> dict[str, str]:
        return {"jurisdiction_id": self.jurisdiction} if self.jurisdiction else {}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx2.TimeoutException:
            raise SinkError(f"the complaints system did not answer {method} {path} in time") from None
        except httpx2.TransportError as exc:
            raise SinkError(f"cannot reach the complaints system: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise _http_error(response)
        try:
            return response.json()
        except ValueError:
            raise SinkError(f"the complaints system answered {method} {path} with something not JSON") from None


def _http_error(response: httpx2.Response) -> SinkError:
    status = response.status_code
    reason = _open311_reason(response) or response.reason_phrase or "no reason given"
    if status == 403:
        reason = f"the complaints system refused our API key: {reason}"
    permanent = status < 500 and status not in RETRYABLE_4XX
    return SinkError(f"complaints system {status}: {reason}", permanent=permanent)


def _open311_reason(response: httpx2.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    errors = body if isinstance(body, list) else [body]
    reasons = [str(error["description"]) for error in errors if isinstance(error, dict) and error.get("description")]
    return "; ".join(reasons) or None


def _entries(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise SinkError("the complaints system answered with something other than a list")
    return [entry for entry in body if isinstance(entry, dict)]


def _receipt(body: Any) -> ComplaintReceipt:
    for entry in _entries(body):
        external_id, token = _text(entry.get("service_request_id")), _text(entry.get("token"))
        if external_id or token:
            return ComplaintReceipt(external_id, token)
    raise SinkError("the complaints system accepted the request but returned neither an id nor a token")


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
