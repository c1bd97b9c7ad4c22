"""AWS Lambda entry point: API Gateway HTTP API events -> the same FastAPI app, via Mangum.

The app, its store and its AWS clients are built once per container, at import (init phase).
"""

from __future__ import annotations

from mangum import Mangum

from sma_api.main import create_app

handler = Mangum(create_app(), lifespan="off")
