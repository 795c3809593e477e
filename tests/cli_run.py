"""Running the real `monitor` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def monitor_env(home: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MONITOR_")}
    env.update({"MONITOR_HOME": str(home), **{f"MONITOR_{k.upper()}": v for k, v in settings.items()}})
    return env


def monitor(home: Path, *args: str, check: bool = True, **settings: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", *args], cwd=REPO, env=monitor_env(home, **settings),
        capture_output=True, text=True, timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"monitor {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result
