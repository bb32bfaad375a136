"""One API error shape (issue 8): every write operation in the OpenAPI schema, sent an invalid body,
answers 422 with `{"detail": str, "errors": {field: [str]}}`, and declares that 422 in the schema."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from harken.api import api
from tests.base import World, make_token
from tests.test_tenancy import API_CASES

WRITES = ("post", "put", "patch")


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


SCHEMA = json.loads(json.dumps(api.get_openapi_schema(path_prefix="")))  # as served: string status codes


def _write_operations() -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, methods in SCHEMA["paths"].items():
        for method, op in methods.items():
            if method in WRITES and op.get("requestBody"):
                ops.append((method.upper(), path, op))
    return sorted(ops, key=lambda o: (o[1], o[0]))


OPERATIONS = _write_operations()


def test_there_are_write_operations_to_walk() -> None:
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_every_write_operation_declares_the_422_shape(method: str, path: str, op: dict[str, Any]) -> None:
    assert "422" in op["responses"], f"{method} {path} does not declare its 422 response"
    schema = json.dumps(op["responses"]["422"])
    assert "ErrorOut" in schema, f"{method} {path}: the 422 response is not the ErrorOut shape"


def _case_for(method: str, path: str) -> Any:
    for case in API_CASES:
        if case.method.upper() == method and _norm(case.path.split("?")[0]) == _norm(path):
            return case
    raise AssertionError(f"no tenancy case for {method} {path}")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


BAD_VALUE = {
    "string": {"not": "a string"},
    "integer": "not-a-number",
    "number": "NaN-ish",
    "boolean": "maybe",
    "array": 5,
}


def _wrong_type_body(op: dict[str, Any]) -> str:
    """One field of the request schema with a value of the wrong type."""
    schema = _resolve(op["requestBody"]["content"]["application/json"]["schema"])
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop)
        kinds = [_resolve(p).get("type") for p in prop.get("anyOf", [prop])]
        kind = next((k for k in kinds if k in BAD_VALUE), None)
        if kind:
            return json.dumps({name: BAD_VALUE[kind]})
    raise AssertionError(f"no typed field in {schema}")


def _assert_shape(response: Any) -> None:
    assert response.status_code == 422, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) >= {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict) and body["errors"]
    for field, messages in body["errors"].items():
        assert isinstance(field, str)
        assert isinstance(messages, list) and messages and all(isinstance(m, str) and m for m in messages)


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("bad", ["wrong-type", "nul"])
def test_every_write_operation_answers_invalid_input_with_the_one_shape(
    world: World, method: str, path: str, op: dict[str, Any], bad: str
) -> None:
    case = _case_for(method, path)
    kwargs = case.make(world.alpha)
    url = "/api" + case.path.format(**kwargs)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(world.alpha, world.alice)}"}
    client = Client()
    content = op["requestBody"]["content"]
    if "application/json" in content:
        data = _wrong_type_body(op) if bad == "wrong-type" else json.dumps({"name": "a\x00b", "text": "a\x00b"})
        response = client.generic(method, url, data=data, content_type="application/json", **auth)
    else:  # multipart uploads: no file at all, or a field with a NUL in the query string
        suffix = "" if bad == "wrong-type" else "?x=%00"
        response = client.generic(
            method, url + suffix, data=b"", content_type="multipart/form-data; boundary=x", **auth
        )
    _assert_shape(response)
