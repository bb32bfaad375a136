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


@pytest.mark.django_db
def test_api_docs_work_offline() -> None:
    """Nothing on /api/docs may come from another host: Swagger UI's assets are our static files."""
    import re

    from django.contrib.staticfiles import finders

    html = Client().get("/api/docs").content.decode()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert refs, "the docs page loads no assets at all?"
    external = [ref for ref in refs if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", ref, re.I)]
    assert external == [], f"/api/docs loads from another host: {external}"
    assert not re.search(r"https?://", html)
    assert '"validatorUrl": null' in html  # else Swagger UI fetches a badge from validator.swagger.io
    assets = [ref for ref in refs if ref.startswith("/static/")]
    assert any("swagger-ui-bundle" in ref for ref in assets) and any(ref.endswith(".css") for ref in assets)
    for ref in assets:
        assert finders.find(ref.removeprefix("/static/").split("?")[0]), f"{ref} is not among our static files"
