"""The HTTP API (FastAPI) under /api; `create_app` is the factory."""

from familyflow.api.app import create_app

__all__ = ["create_app"]
