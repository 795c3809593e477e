"""The whole flow through the real `monitor` command and a real web server, on each engine.

migrate → train (the shipped corpus) → poll once from the demo replay channel →
`monitor web` on a free loopback port → sign in over HTTP → the queue shows the
demo posts, tagged and routed.
"""

from __future__ import annotations

import html
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.cli_run import monitor, monitor_env
from tests.conftest import REPO, fresh_database_url

pytestmark = pytest.mark.slow

FLAGSHIPS = {  # the demo file's flagship posts and the tag and unit a reviewer expects
    "Huge pothole on Exhibition Avenue near the signal": ("complaint", "شؤون الطرق"),
    "المجاري طافحة في شارعنا من أسبوع": ("complaint", "شؤون الصرف الصحي"),
    "Thank you for fixing the street lights on Budaiya Highway": ("praise", "إنارة الشوارع"),
    "متى سيتم الانتهاء من مشروع تطوير شارع الاستقلال": ("inquiry", "المشاريع الإنشائية"),
}


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory) -> Path:
    """`monitor train` once, on the shipped corpus; each test copies the result."""
    home = tmp_path_factory.mktemp("trained")
    result = monitor(home, "train")
    assert "trained on" in result.stdout
    return home / "models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(home: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    env = monitor_env(home, secret_key="e2e-" + "k" * 40, **settings)
    process = subprocess.Popen([sys.executable, "-m", "monitor", "web", "--port", str(port)], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).text == "ok":
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"web server did not start:\n{process.communicate()[0]}")


def queue_rows(page: str) -> list[tuple[str, str, str]]:
    """(tag, unit, post text) of each case row."""
    rows = []
    for chunk in page.split('<tr class="case ')[1:]:
        tag = re.search(r'data-tag="(\w+)"', chunk).group(1)
        text = html.unescape(re.search(r'<p class="text" dir="auto">(.*?)</p>', chunk, re.S).group(1))
        unit = re.search(r'<td class="unit">(.*?)</td>', chunk, re.S).group(1)
        rows.append((tag, html.unescape(unit.strip()), text))
    return rows


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_demo_posts_reach_the_queue_tagged_and_routed(backend, tmp_path, trained_models):
    shutil.copytree(trained_models, tmp_path / "models")
    for url in fresh_database_url(backend, tmp_path):
        settings = {"database_url": url, "replay_release_per_poll": "100"}
        monitor(tmp_path, "migrate", **settings)
        assert "demo: 1 page(s), 100 post(s)" in monitor(tmp_path, "poll", "--once", **settings).stdout
        password = re.search(r"password: (\S+)", monitor(tmp_path, "user", "add", "officer", "--role", "agent",
                                                         **settings).stdout).group(1)
        port = free_port()
        server = start_web(tmp_path, port, **settings)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as client:
                token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
                page = client.post("/login", data={"username": "officer", "password": password,
                                                   "csrf_token": token})
                found = {start: queue_rows(client.get("/", params={"status": "all", "q": start}).text)
                         for start in FLAGSHIPS}
        finally:
            server.terminate()
            server.communicate(timeout=10)
        assert page.status_code == 200
        assert len(queue_rows(page.text)) >= 50  # a full first page
        for start, (tag, unit) in FLAGSHIPS.items():
            [(found_tag, found_unit, _)] = [row for row in found[start] if start in row[2]]
            assert (found_tag, found_unit) == (tag, unit), start


def processes_with_home(home: Path, needle: str) -> list[int]:
    """Pids of live processes whose command line has ``needle`` and whose MONITOR_HOME is ``home``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if needle in cmdline and f"MONITOR_HOME={home}".encode() in environ:
            found.append(int(proc.name))
    return found


def test_monitor_run_serves_the_demo_queue_and_stops_web_and_worker_together(tmp_path, trained_models):
    shutil.copytree(trained_models, tmp_path / "models")
    port = free_port()
    env = monitor_env(tmp_path, poll_interval_seconds="2")
    process = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--port", str(port)], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        login = ""
        while "login: admin / " not in login:
            login = process.stdout.readline()
            assert login, "monitor run ended before printing a login"
        password = login.split("login: admin / ")[1].split()[0]
        drain = threading.Thread(target=process.stdout.read, daemon=True)  # keep the pipe from filling
        drain.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as client:
            page = _signed_in_queue(client, password)
            deadline = time.monotonic() + 60
            while page.count('<tr class="case ') < 50 and time.monotonic() < deadline:
                time.sleep(1)
                page = client.get("/").text
        assert page.count('<tr class="case ') >= 50
        assert len(processes_with_home(tmp_path, "monitor worker")) == 1
    finally:
        process.terminate()
        process.wait(timeout=60)
        process.stdout.close()
    assert processes_with_home(tmp_path, "monitor worker") == []
    assert not (tmp_path / "secret_key").stat().st_mode & 0o077  # the generated key is the owner's only


def _signed_in_queue(client: httpx.Client, password: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "web app did not start"
            time.sleep(0.3)
    return client.post("/login", data={"username": "admin", "password": password, "csrf_token": token}).text
