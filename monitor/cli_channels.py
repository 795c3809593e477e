"""`monitor channel ...` and `monitor x ...`: adding, listing and disabling channels; forgetting X posts.

`monitor channel add x NAME` adds the mentions stream of the account whose
access token is configured. `--search QUERY` (repeatable) adds one channel per
saved search instead: the first is named NAME, the next NAME-2, NAME-3, ...
Each channel row is one stream with its own checkpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from monitor import models
from monitor.errors import ConfigError

channel_app = typer.Typer(help="Manage channels (X mentions and searches).", no_args_is_help=True)
x_app = typer.Typer(help="X-specific operations.", no_args_is_help=True)


def _cli() -> Any:
    from monitor import cli  # the shared shell: settings, services, consoles

    return cli


@channel_app.command("add")
def channel_add(
    kind: Annotated[str, typer.Argument(help="Channel kind: x.")],
    name: Annotated[str, typer.Argument(help="Channel name (NAME, NAME-2, ... with several --search).")],
    search: Annotated[list[str] | None, typer.Option("--search", help="A saved search query; repeatable.")] = None,
    monthly_budget: Annotated[int | None, typer.Option(min=1, help="Posts read per month before polling pauses.")]
    = None,
) -> None:
    """Add an X channel: the account's mentions, or one channel per --search query."""
    from monitor.channels.x import identify_account

    if kind != "x":
        raise ConfigError(f"`channel add` adds X channels; {kind!r} is not one (the replay demo comes with migrate)")
    cli = _cli()
    services = cli._services(cli._settings())
    user_id, handle = identify_account(services.settings)
    base = {"account_handle": handle, "user_id": user_id}
    if monthly_budget is not None:
        base["monthly_budget"] = monthly_budget
    streams = [{"mode": "search", "query": query} for query in search] if search else [{"mode": "mentions"}]
    names = [name if index == 0 else f"{name}-{index + 1}" for index in range(len(streams))]
    with services.sessions() as session:
        taken = session.scalars(select(models.Channel.name).where(models.Channel.name.in_(names))).all()
        if taken:
            raise ConfigError(f"channel name already in use: {', '.join(taken)}")
        for channel_name, stream in zip(names, streams, strict=True):
            session.add(models.Channel(name=channel_name, kind="x", config={**stream, **base},
                                       poll_interval_seconds=services.settings.poll_interval_seconds))
        session.commit()
    for channel_name, stream in zip(names, streams, strict=True):
        cli.out.print(f"channel {channel_name} added: {_stream(stream)} as @{handle}", markup=False)


@channel_app.command("list")
def channel_list() -> None:
    """Channels with their state and the posts read today and this month."""
    from monitor.pipeline.usage import month_usage, posts_read

    cli = _cli()
    services = cli._services(cli._settings())
    now = datetime.now(UTC)
    table = Table()
    for column in ("name", "kind", "stream", "enabled", "posts today", "this month", "budget", "state"):
        table.add_column(column)
    with services.sessions() as session:
        for row in session.scalars(select(models.Channel).order_by(models.Channel.id)):
            today = posts_read(session, row.id, now.date(), now.date())
            table.add_row(row.name, row.kind, _stream(row.config), "yes" if row.enabled else "no", str(today),
                          str(month_usage(session, row.id, now)), str(row.config.get("monthly_budget") or "-"),
                          _state(row, now))
    cli.out.print(table)


@channel_app.command("disable")
def channel_disable(name: Annotated[str, typer.Argument(help="Channel name.")]) -> None:
    """Stop polling a channel (its posts and checkpoint stay)."""
    _set_enabled(name, False)


@channel_app.command("enable")
def channel_enable(name: Annotated[str, typer.Argument(help="Channel name.")]) -> None:
    """Poll a channel again, e.g. after fixing its credentials; clears its pause and error."""
    _set_enabled(name, True)


def _set_enabled(name: str, enabled: bool) -> None:
    cli = _cli()
    services = cli._services(cli._settings())
    with services.sessions() as session:
        row = session.scalar(select(models.Channel).where(models.Channel.name == name))
        if row is None:
            raise ConfigError(f"unknown channel {name!r}")
        row.enabled = enabled
        if enabled:
            row.paused_until = row.last_error = None
        session.commit()
    cli.out.print(f"channel {name} {'enabled' if enabled else 'disabled'}", markup=False)


def _stream(config: dict[str, Any]) -> str:
    if config.get("mode") == "search":
        return f"search {config.get('query')!r}"
    return "mentions" if config.get("mode") == "mentions" else str(config.get("path", "-"))


def _state(row: models.Channel, now: datetime) -> str:
    parts = []
    if row.paused_until is not None and row.paused_until > now:
        parts.append(f"paused until {row.paused_until:%Y-%m-%d %H:%M} UTC")
    if row.last_error:
        parts.append(f"error: {row.last_error}")
    if row.notice:
        parts.append(row.notice)
    if row.last_polled_at is not None and not parts:
        parts.append(f"polled {_ago(now - row.last_polled_at)} ago")
    return "; ".join(parts) or "not polled yet"


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


@x_app.command("forget")
def x_forget(post_id: Annotated[str, typer.Argument(help="The X post id deleted on the platform.")]) -> None:
    """Remove a deleted post's text and author from everything stored (posts, raw pages, events)."""
    from monitor.forget import forget_post

    if not post_id.isdigit():
        raise ConfigError(f"an X post id is digits only, not {post_id!r}")
    cli = _cli()
    services = cli._services(cli._settings())
    with services.sessions() as session:
        changed = forget_post(session, post_id, now=datetime.now(UTC))
    cli.out.print(f"post {post_id} forgotten ({changed} stored post row(s) cleared)", markup=False)
