"""Request dependencies: the settings and a database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mediashelf.config import Settings
from mediashelf.jobs.queue import Jobs


async def get_settings(request: Request) -> Settings:
    """The settings in force: the environment's, with changes made through the API."""
    # async: a sync dependency would cost every request a threadpool hop
    settings: Settings = request.app.state.live.get()
    return settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


async def get_jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]
DbDep = Annotated[Session, Depends(get_db)]
