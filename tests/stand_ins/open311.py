"""A stand-in national complaints system: Open311 GeoReport v2 on loopback.

Endpoints: ``GET services.json``, ``POST requests.json`` (an id, or a token when
``answer_tokens`` is set), ``GET tokens/{token}.json``, ``GET requests.json`` (by
``service_request_id=a,b,c``, or by ``service_code``/``start_date``/``status``;
``updated_after`` is honoured). Tests change a request's status with
``set_status`` and queue failures with ``fail_next``:

- ``"400"``: an Open311 error body ``[{"code": 400, "description": ...}]``;
- ``"500"``: a server error; ``"slow"``: no answer before the client gives up,
  nothing created; ``"accept_slow"``: the request IS created, then the answer
  comes too late (the timeout-after-accept case).

A POST without the right ``api_key`` (or any call with a wrong one) gets 403 with
an Open311 error body. ``received`` records
every call as (method, path, params or form).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.stand_ins.loopback import serve_asgi

API_KEY = "test-open311-key"
SERVICES = [
    {"service_code": code, "service_name": name, "description": name, "metadata": False, "type": "realtime",
     "keywords": "", "group": "public works"}
    for code, name in [("POTHOLE", "Pothole"), ("ROADS_INQUIRY", "Roads question"),
                       ("SEWER_OVERFLOW", "Sewage overflow"), ("SEWER_INQUIRY", "Sewerage question"),
                       ("STREETLIGHT_OUT", "Street light out"), ("CONSTRUCTION_SITE", "Construction site"),
                       ("PROJECT_INQUIRY", "Project question"), ("BUILDING_VIOLATION", "Building violation"),
                       ("WASTE_COLLECTION", "Waste collection")]
]


def w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_w3c(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Open311:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(7001)  # never reset: ids stay unique across tests sharing a database
        self.reset()

    def reset(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str | None] = {}
        self.received: list[tuple[str, str, dict[str, Any]]] = []
        self.failures: list[tuple[str, str]] = []
        self.answer_tokens = False
        self.tokens_resolve = True
        self.slow_seconds = 1.5
        self.token_targets: dict[str, str] = {}

    def fail_next(self, kind: str, *, on: str = "POST requests.json") -> None:
        self.failures.append((on, kind))

    def set_status(self, request_id: str, status: str, *, notes: str | None = None, agency: str | None = None,
                   updated: datetime | None = None) -> None:
        with self.lock:
            entry = self.requests[request_id]
            entry.update(status=status, status_notes=notes, agency_responsible=agency,
                         updated_datetime=w3c(updated or datetime.now(UTC)))

    def resolve_tokens(self) -> None:
        with self.lock:
            for token, request_id in list(self.tokens.items()):
                self.tokens[token] = request_id or self.token_targets[token]

    def created(self) -> list[dict[str, Any]]:
        return list(self.requests.values())

    def _failure(self, endpoint: str) -> str | None:
        with self.lock:
            for index, (on, kind) in enumerate(self.failures):
                if on == endpoint:
                    return self.failures.pop(index)[1]
        return None

    def _create(self, form: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            request_id = str(next(self.ids))
            now = w3c(datetime.now(UTC))
            self.requests[request_id] = {
                "service_request_id": request_id, "status": "open", "status_notes": None,
                "service_code": form.get("service_code"), "description": form.get("description"),
                "agency_responsible": None, "requested_datetime": now, "updated_datetime": now,
                "lat": form.get("lat"), "long": form.get("long"),
            }
            if not self.answer_tokens:
                return {"service_request_id": request_id, "service_notice": ""}
            token = uuid.uuid4().hex
            self.token_targets[token] = request_id
            self.tokens[token] = request_id if self.tokens_resolve else None
            return {"token": token}

    def _search(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.lock:
            found = list(self.requests.values())
        if params.get("service_request_id"):
            wanted = set(params["service_request_id"].split(","))
            found = [entry for entry in found if entry["service_request_id"] in wanted]
        for name in ("service_code", "status"):
            if params.get(name):
                found = [entry for entry in found if entry[name] == params[name]]
        if params.get("start_date"):
            found = [e for e in found if parse_w3c(e["requested_datetime"]) >= parse_w3c(params["start_date"])]
        if params.get("updated_after"):
            found = [e for e in found if parse_w3c(e["updated_datetime"]) > parse_w3c(params["updated_after"])]
        return found


def error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def create_app(stand_in: Open311) -> FastAPI:
    app = FastAPI(openapi_url=None)

    async def gate(endpoint: str, values: dict[str, Any]) -> JSONResponse | str | None:
        stand_in.received.append((endpoint.split(" ")[0], endpoint.split(" ")[1], values))
        if values.get("api_key", API_KEY if endpoint.startswith("GET") else None) != API_KEY:
            return error(403, "Invalid api_key")
        kind = stand_in._failure(endpoint)
        if kind == "400":
            return error(400, "service_code is not valid for this jurisdiction")
        if kind == "500":
            return JSONResponse([{"code": 500, "description": "internal error"}], status_code=500)
        if kind == "slow":  # the client has given up by now; nothing is created
            await asyncio.sleep(stand_in.slow_seconds)
            return error(504, "gateway timeout")
        return kind

    @app.get("/services.json")
    async def services(request: Request) -> Any:
        refused = await gate("GET services.json", dict(request.query_params))
        return refused if isinstance(refused, JSONResponse) else SERVICES

    @app.post("/requests.json")
    async def post_request(request: Request) -> Any:
        form = dict(await request.form())
        refused = await gate("POST requests.json", form)
        if isinstance(refused, JSONResponse):
            return refused
        if not form.get("service_code") or not form.get("description"):
            return error(400, "service_code and description are required")
        answer = stand_in._create(form)
        if refused == "accept_slow":
            await asyncio.sleep(stand_in.slow_seconds)
        return [answer]

    @app.get("/tokens/{token}.json")
    async def token(token: str, request: Request) -> Any:
        refused = await gate("GET tokens", dict(request.query_params))
        if isinstance(refused, JSONResponse):
            return refused
        if token not in stand_in.tokens:
            return error(404, "no such token")
        request_id = stand_in.tokens[token]
        return [{"token": token, **({"service_request_id": request_id} if request_id else {})}]

    @app.get("/requests.json")
    async def requests(request: Request) -> Any:
        params = dict(request.query_params)
        refused = await gate("GET requests.json", params)
        return refused if isinstance(refused, JSONResponse) else stand_in._search(params)

    return app


@contextmanager
def serve(stand_in: Open311) -> Iterator[str]:
    """Serve the stand-in on a free loopback port; yields its base URL (ending in /)."""
    with serve_asgi(create_app(stand_in)) as base_url:
        yield base_url + "/"


@pytest.fixture(scope="session")
def open311_server() -> Iterator[tuple[Open311, str]]:
    stand_in = Open311()
    with serve(stand_in) as base_url:
        yield stand_in, base_url


@pytest.fixture
def open311(open311_server: tuple[Open311, str]) -> Open311:
    stand_in, _ = open311_server
    stand_in.reset()
    return stand_in
