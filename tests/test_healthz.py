"""/healthz is what load balancers and `harken check` poll: it must prove the database answers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_ok_and_the_database_vendor() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": connection.vendor}


@pytest.mark.django_db
def test_healthz_needs_no_login_and_sets_no_session_cookie() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
