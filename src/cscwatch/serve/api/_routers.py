"""The resource routers, in the order the OpenAPI document lists them."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """Every resource module's router."""
    from cscwatch.serve.api import (
        authorities,
        care,
        compare,
        indicators,
        observations,
        ofsted,
        profile,
        risk,
        variation,
    )

    return [
        authorities.router,
        profile.router,
        compare.router,
        indicators.router,
        variation.router,
        observations.router,
        ofsted.router,
        risk.router,
        care.router,
    ]
