"""A demo national complaints system, so a new user sees the whole forwarding round trip.

``monitor run`` starts it on a free loopback port when MONITOR_COMPLAINTS_DEMO is
true and MONITOR_COMPLAINTS_URL is not set, and points the web app and the worker
at it. It speaks the Open311 GeoReport v2 calls the monitor uses; a request gets
an id at once and moves on by itself: ``in_progress`` after one ``step``,
``closed_fixed`` after two. It keeps everything in memory: a demo, not a store.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from monitor.settings import Settings
from monitor.sinks.complaints import load_service_codes

DEMO_KEY = "demo-key"
STAGES = (("open", None), ("in_progress", "a crew is assigned"), ("closed_fixed", "repaired (demo)"))


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DemoComplaints:
    def __init__(self, service_codes: list[str], *, step: timedelta = timedelta(minutes=2)):
        self.service_codes, self.step = service_codes, step
        self.requests: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(90001)
        self.lock = threading.Lock()

    def create(self, form: dict[str, Any], now: datetime) -> str:
        with self.lock:
            request_id = str(next(self.ids))
            self.requests[request_id] = {"service_request_id": request_id, "created": now,
                                         "service_code": form["service_code"], "description": form["description"]}
        return request_id

    def view(self, entry: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The request as the system shows it now: its stage follows from its age."""
        stage = min(int((now - entry["created"]) / self.step), len(STAGES) - 1)
        status, notes = STAGES[stage]
        return {"service_request_id": entry["service_request_id"], "status": status, "status_notes": notes,
                "service_code": entry["service_code"], "description": entry["description"],
                "requested_datetime": _w3c(entry["created"]),
                "updated_datetime": _w3c(entry["created"] + stage * self.step)}

    def search(self, params: dict[str, str], now: datetime) -> list[dict[str, Any]]:
        with self.lock:
            found = [self.view(entry, now) for entry in self.requests.values()]
        if params.get("service_request_id"):
            wanted = set(params["service_request_id"].split(","))
            found = [entry for entry in found if entry["service_request_id"] in wanted]
        if params.get("service_code"):
            found = [entry for entry in found if entry["service_code"] == params["service_code"]]
        return found


def create_app(system: DemoComplaints) -> FastAPI:
    app = FastAPI(openapi_url=None)

    @app.get("/services.json")
    def services() -> list[dict[str, Any]]:
        return [{"service_code": code, "service_name": code.replace("_", " ").title(), "metadata": False,
                 "type": "realtime"} for code in system.service_codes]

    @app.post("/requests.json")
    async def create(request: Request) -> Any:
        form = dict(await request.form())
        if form.get("api_key") != DEMO_KEY:
            return JSONResponse([{"code": 403, "description": "Invalid api_key"}], status_code=403)
        if form.get("service_code") not in system.service_codes or not form.get("description"):
            return JSONResponse([{"code": 400, "description": "unknown service_code"}], status_code=400)
        return [{"service_request_id": system.create(form, datetime.now(UTC))}]

    @app.get("/requests.json")
    def requests(request: Request) -> list[dict[str, Any]]:
        return system.search(dict(request.query_params), datetime.now(UTC))

    return app


def start_demo(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """When asked for and no real system is set: start the demo system and point the settings at it.

    Returns the settings and the environment for child processes (the worker). The server runs in
    a daemon thread, so it ends with `monitor run`.
    """
    if not settings.complaints_demo or settings.complaints_url:
        return settings, {}
    codes = sorted({code for unit in load_service_codes(settings.data_dir / "units.yaml").values()
                    for code in unit.values()})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(DemoComplaints(codes)), log_level="warning",
                                           lifespan="off", ws="none"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    env = {"MONITOR_COMPLAINTS_URL": url, "MONITOR_COMPLAINTS_API_KEY": DEMO_KEY,
           "MONITOR_COMPLAINTS_ALLOW_PRIVATE": "true"}
    return settings.model_copy(update={"complaints_url": url, "complaints_api_key": SecretStr(DEMO_KEY),
                                       "complaints_allow_private": True}), env
