from fastapi import APIRouter


def router() -> APIRouter:
    return APIRouter(include_in_schema=False)
