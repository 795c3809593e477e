"""The collaborators every process builds from its settings: database, catalogue, model, sink."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from classifiers import Tagger, load_model
from monitor.db import make_engine, make_session_factory
from monitor.pipeline.route import Catalogue, load_catalogue
from monitor.settings import Settings
from monitor.sinks.console import ConsoleSink


@dataclass
class Services:
    settings: Settings
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.db_url)
        self.sessions = make_session_factory(self.engine)

    @cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue(self.settings.data_dir / "units.yaml")

    @cached_property
    def tagger(self) -> Tagger:
        """The current model; a file that fails the trusted-type audit stops the process."""
        return load_model(self.settings.model_path)

    @cached_property
    def reply_sink(self) -> ConsoleSink:
        return ConsoleSink(self.settings.home / "outbox" / "console-replies.jsonl")
