"""Every operation of the OpenAPI document shows an example of its request body and of each
answer (``leads_core.api.examples``), and each example is valid against its own schema: a
client generated from the document, or a person reading /v1/docs, sees real shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012 as DRAFT

from leads_core.api import create_api
from leads_core.api.examples import OPERATIONS
from leads_core.config import load_settings

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    settings = load_settings({"DATABASE_URL": "sqlite://"})
    return create_api(settings=settings).openapi()


def _media(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, media type object) of every request body and answer that has content."""
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            name = f"{method.upper()} {path}"
            for kind, media in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{name} request {kind}", media
            for status, response in operation["responses"].items():
                for kind, media in response.get("content", {}).items():
                    yield f"{name} {status} {kind}", media


def _examples(media: dict[str, Any]) -> list[Any]:
    if "example" in media:
        return [media["example"]]
    return [e["value"] for e in media.get("examples", {}).values()]


def test_every_request_body_and_answer_has_an_example(document: dict[str, Any]) -> None:
    missing = [where for where, media in _media(document) if not _examples(media)]
    assert missing == []
    assert len(list(_media(document))) > 100  # the walk saw the document


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    registry = _registry(document)
    invalid = []
    for where, media in _media(document):
        validator = jsonschema.Draft202012Validator(_rebase(media["schema"]), registry=registry)
        for example in _examples(media):
            errors = [e.message for e in validator.iter_errors(example)]
            if errors:
                invalid.append((where, errors[:2]))
    assert invalid == []


def test_an_invalid_example_would_be_found(document: dict[str, Any]) -> None:
    registry = _registry(document)
    schema = document["paths"]["/leads"]["get"]["responses"]["200"]["content"]
    validator = jsonschema.Draft202012Validator(
        _rebase(schema["application/json"]["schema"]), registry=registry
    )
    assert not validator.is_valid({"leads": [{"id": 7}], "total": "many"})


def test_every_example_names_an_operation_that_exists(document: dict[str, Any]) -> None:
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    }
    assert set(OPERATIONS) - operations == set()


def _registry(document: dict[str, Any]) -> Registry[Any]:
    """The document, under ``urn:openapi``, for the schemas' references to resolve in."""
    resource = Resource.from_contents(document, default_specification=DRAFT)
    return Registry().with_resource("urn:openapi", resource)


def _rebase(schema: Any) -> Any:
    """``schema`` with its ``#/components/...`` references pointing into the document."""
    if isinstance(schema, dict):
        return {
            key: (f"urn:openapi{value}" if key == "$ref" else _rebase(value))
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_rebase(value) for value in schema]
    return schema
