"""Channels API: each channel package contributes a sub-router."""

from __future__ import annotations

from ninja import Router

from harken.channels.importers.api import router as importers_router
from harken.workspaces.api_auth import token_auth

router = Router(auth=token_auth, tags=["channels"])
router.add_router("/imports", importers_router)
