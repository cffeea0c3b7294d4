"""GET /api/v1/health: is the server up and its database reachable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mediashelf import __version__
from mediashelf.web.deps import DbDep
from mediashelf.web.security import access

router = APIRouter()


@router.get("/health", openapi_extra=access("public"), tags=["system"])
def health(db: DbDep) -> Any:
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "error", "version": __version__, "database": str(exc.__cause__ or exc)},
            status_code=503,
        )
    return {"status": "ok", "version": __version__, "database": "ok"}
