"""The OpenAPI schema is served and describes every app's API with token authentication."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_openapi_schema_is_served_with_every_app_and_bearer_auth() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Harken API"
    paths = schema["paths"]
    for prefix in ("/api/feedback/", "/api/customers/", "/api/imports/", "/api/workspaces/", "/api/insight/"):
        assert any(p.startswith(prefix) for p in paths), f"no {prefix} operations in the schema"
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


@pytest.mark.django_db
def test_interactive_api_docs_page() -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
