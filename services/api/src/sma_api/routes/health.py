"""`/health`: 200 when the backend answers, 503 (via BackendUnavailable) when it does not."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sma_api.deps import Service
from sma_api.models import ErrorBody, Health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": ErrorBody, "description": "the backend does not answer"}},
)
def health(service: Service, response: Response) -> Health:
    """Checks the backend on every call; never cached."""
    service.ping()
    response.headers["Cache-Control"] = "no-store"
    return Health(status="ok", backend=service.store.name)
