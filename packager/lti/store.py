"""Durable state: launches, learner progress, answers, attempts, registrations and the AGS outbox.

SQLAlchemy, so SQLite works with zero setup and PostgreSQL by URL.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class DynamicRegistration(Base):
    """A platform registered by LTI Dynamic Registration (file registrations stay in the file)."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(JSON)
    auth_login_url: Mapped[str] = mapped_column(Text)
    auth_token_url: Mapped[str] = mapped_column(Text)
    auth_audience: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_set_url: Mapped[str] = mapped_column(Text)
    platform_name: Mapped[str] = mapped_column(String(255), default="")
    created: Mapped[float] = mapped_column(Float, default=time.time)


class Launch(Base):
    """One validated launch; its random token is the only credential the browser holds."""

    __tablename__ = "launches"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    progress_id: Mapped[int | None] = mapped_column(ForeignKey("progress.id"), nullable=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))  # "resource" | "deeplink"
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validated id_token body
    created: Mapped[float] = mapped_column(Float, default=time.time)
    expires: Mapped[float] = mapped_column(Float)


class Progress(Base):
    """One learner in one placed link of one course document."""

    __tablename__ = "progress"
    __table_args__ = (UniqueConstraint("issuer", "client_id", "deployment_id", "context_id",
                                       "resource_link_id", "sub", "document"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[str] = mapped_column(String(255))
    document: Mapped[str] = mapped_column(String(255))
    lineitem: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str | None] = mapped_column(Text, nullable=True)
    location: Mapped[str | None] = mapped_column(String(255), nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[float] = mapped_column(Float, default=time.time)
    updated: Mapped[float] = mapped_column(Float, default=time.time)


class Attempt(Base):
    """One attempt at a pooled/limited assessment module: its seed fixes the questions drawn."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("progress_id", "module", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("progress.id"))
    module: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    # The runtime draws seeds up to 36**6 - 2, past a 32-bit INTEGER (PostgreSQL refuses them).
    seed: Mapped[int] = mapped_column(BigInteger)
    started: Mapped[float] = mapped_column(Float, default=time.time)


class Answer(Base):
    """A learner's response to one question, graded on the server."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("progress_id", "question", "attempt"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("progress.id"))
    question: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    response: Mapped[Any] = mapped_column(JSON)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    at: Mapped[float] = mapped_column(Float, default=time.time)


class OutboxItem(Base):
    """A score waiting to reach the platform; rows are only ever marked, never lost."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("progress.id"))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    lineitem: Mapped[str | None] = mapped_column(Text, nullable=True)
    lineitems: Mapped[str | None] = mapped_column(Text, nullable=True)
    label: Mapped[str] = mapped_column(String(255), default="")  # for a line item it creates
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending | delivered | superseded (a newer score replaced it) | dead (gave up)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[float] = mapped_column(Float, default=time.time)
    claimed_until: Mapped[float] = mapped_column(Float, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[float] = mapped_column(Float, default=time.time)
    delivered: Mapped[float | None] = mapped_column(Float, nullable=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the outbox thread write while requests read; busy_timeout rides out short locks.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def open_store(url: str) -> sessionmaker[Session]:
    """Connect (creating the SQLite folder and the tables when missing)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine: Engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Every gunicorn worker of every instance starts here at once: one creates the
            # tables, the others wait (concurrent CREATE TABLEs collide on pg_type).
            conn.execute(text("SELECT pg_advisory_xact_lock(7431)"))
        Base.metadata.create_all(conn)
    return sessionmaker(engine, expire_on_commit=False)
