"""Many rows in one statement: the inbound stages' inserts and updates.

A stage writes the same columns of every row in its batch. On SQLite that is an
executemany, or SQLAlchemy's insertmanyvalues when rows come back; the driver's C code
does the work either way. On PostgreSQL the batch travels as one JSON document that
``json_to_recordset`` turns back into typed rows, so 2,000 rows are one short statement
with one parameter, plus one for each value that every row shares (a stage's new
``stage``). insertmanyvalues there sends a VALUES list with a placeholder per value,
which psycopg re-parses in Python on every batch (about 1 s of the 8,000-post run of
bench/ingest.py went there, 5 times what the database spent).

Values pass through each column's own type (``UTCDateTime``, JSON) on both engines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import JSON, ColumnElement, Row, Table, Text, bindparam, cast, column, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableValuedAlias


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict], *, returning: Sequence[str] = (),
    skip_conflicts_on: Sequence[str] = (),
) -> list[Row]:
    """Insert ``rows`` (dicts with the same keys); return the ``returning`` columns of each row inserted.

    With ``skip_conflicts_on`` (the columns of a unique index), rows already stored are left
    alone and are not returned. The returned rows come in no particular order: match them to
    your rows by a key you returned. A column left out takes its default, which on PostgreSQL
    is computed once for the whole batch (``utcnow`` gives every row the same instant).
    """
    if not rows:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect = postgresql if postgres else sqlite
    names = list(rows[0])
    statement = dialect.insert(table)
    if postgres:
        sources = _sources(session, table, rows, names)
        statement = statement.from_select(names, select(*(sources[name] for name in names)))
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    result = session.execute(statement) if postgres else session.execute(statement, list(rows))
    return list(result.all()) if returning else []


def update_rows(session: Session, table: Table, rows: Sequence[dict], *, key: str = "id") -> None:
    """Apply ``rows``: dicts of one row's ``key`` and its new column values (the same keys in each)."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if session.get_bind().dialect.name == "postgresql":
        sources = _sources(session, table, rows, [key, *names], varying=key)
        statement = update(table).where(table.c[key] == sources[key]).values(
            {name: sources[name] for name in names})
        session.execute(statement)
    else:
        parameter = f"{key}_"  # a bind parameter may not share a column's name in UPDATE … SET
        statement = update(table).where(table.c[key] == bindparam(parameter))
        session.execute(statement, [{**{name: row[name] for name in names}, parameter: row[key]} for row in rows])


def _sources(
    session: Session, table: Table, rows: Sequence[dict], names: Sequence[str], *, varying: str | None = None
) -> dict[str, ColumnElement]:
    """Where each column's values come from: one bind parameter for a column whose value is the same in
    every row (a stage's new ``stage``, the batch's ``ingested_at``), else the recordset's column.

    A batch's constant columns would otherwise repeat in every row of the JSON document, to be
    encoded, sent and parsed again 2,000 times. ``varying`` (an UPDATE's key) always stays in the
    recordset, and so does every column of a batch whose rows are all alike: the recordset's rows
    are what make one row per input row.
    """
    first = rows[0]
    same = {name for name in names if name != varying
            and all(row[name] == first[name] and type(row[name]) is type(first[name]) for row in rows)}
    if len(same) == len(names):
        same = set()
    source = recordset(session, table, rows, [name for name in names if name not in same])
    return {name: bindparam(None, first[name], table.c[name].type) if name in same else source.c[name]
            for name in names}


def recordset(
    session: Session, table: Table, rows: Sequence[dict], names: Sequence[str] | None = None
) -> TableValuedAlias:
    """``json_to_recordset(:rows) AS anon(a type, b type, …)``: the rows as one JSON document.

    One text parameter, which psycopg sends as it is. Arrays (``unnest``, a parameter per
    column) were tried first, but psycopg builds an array's text form element by element in
    Python, escaping each value with a regular expression. Each value goes through its
    column's bind processing first (so ``UTCDateTime`` gives naive UTC); JSON columns stay
    nested documents. PostgreSQL only.
    """
    dialect = session.get_bind().dialect
    names = list(rows[0]) if names is None else names
    processors = {name: processor for name in names
                  if not isinstance(table.c[name].type, JSON)
                  and (processor := table.c[name].type.bind_processor(dialect)) is not None}
    values = [{name: processors[name](row[name]) if name in processors else row[name] for name in names}
              for row in rows]
    document = json.dumps(values, default=_json_value, ensure_ascii=False)  # Arabic as UTF-8, not 6-byte escapes
    columns = [column(name, table.c[name].type) for name in names]
    document_parameter = cast(bindparam("rows", document, Text), postgresql.JSON)
    return func.json_to_recordset(document_parameter).table_valued(*columns).render_derived(with_types=True)


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value bulk writes can send")
