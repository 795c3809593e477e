"""Backups: SQLite's online backup API, or pg_dump; and restoring either.

A SQLite backup is taken while the product runs (the backup API copies a
consistent snapshot page by page). A PostgreSQL backup is pg_dump's custom
format, restored with pg_restore into an empty (or emptied) database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from monitor.errors import MonitorError


class BackupError(MonitorError):
    """A backup or restore could not be made."""


def backup_database(url: str, out: Path) -> Path:
    parsed = make_url(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database) as source, sqlite3.connect(out) as target:
            source.backup(target)
        return out
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", _libpq(url)], "pg_dump")
    return out


def restore_database(url: str, backup: Path) -> None:
    """Replace the database's contents with the backup's. Stop web and worker first."""
    if not backup.exists():
        raise BackupError(f"no such backup: {backup}")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = Path(parsed.database)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, target)
        return
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq(url)}", str(backup)], "pg_restore")


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq understands it (no +driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], name: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{name} failed: {result.stderr.strip().splitlines()[-1] if result.stderr else result.returncode}")
