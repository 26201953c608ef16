"""The OpenAPI document's error answers, as this app really sends them.

Litestar documents a 400 (and any error a handler declares it raises) with its own body,
``{status_code, detail, extra}``. This app answers every error with the body of
`server/core/errors.py` instead — ``{code, message, field, errors}`` — so a client generated
from the document, or a schema check such as tests/test_api_schema.py, would be misled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIType, Operation, Reference, RequestBody, Schema

ERROR_NAME = "Error"
ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["code", "message", "field", "errors"],
    properties={
        "code": Schema(type=OpenAPIType.STRING, description="stable, for programs (e.g. bad_month)"),
        "message": Schema(type=OpenAPIType.STRING, description="for people, in the user's language"),
        "field": Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL], description="the field at fault"),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.OBJECT,
                properties={name: Schema(type=OpenAPIType.STRING) for name in ("field", "code", "message")},
            ),
            description="one per field at fault",
        ),
    },
    description="An error: what went wrong, where, in the user's language (server/core/errors.py).",
)
_METHODS = ("get", "put", "post", "delete", "patch")


def _is_litestar_error(schema: Schema | Reference | None) -> bool:
    if not isinstance(schema, Schema):
        return False
    if schema.one_of:
        return all(_is_litestar_error(s) for s in schema.one_of)
    return schema.required == ["detail", "status_code"]


def document_error_bodies(openapi: OpenAPI) -> None:
    """Describe every error response with the app's error body.

    Litestar's own error body is replaced; a body a handler declares for an error status
    (a sync record's result for 422) stays, as one of the two shapes the answer may have.
    """
    openapi.components.schemas[ERROR_NAME] = ERROR_SCHEMA
    error = Reference(ref=f"#/components/schemas/{ERROR_NAME}")
    for path_item in (openapi.paths or {}).values():
        for operation in (getattr(path_item, method, None) for method in _METHODS):
            for status, response in ((operation.responses or {}).items() if operation else ()):
                if not status.isdigit() or int(status) < 400 or isinstance(response, Reference):
                    continue
                for media in (response.content or {}).values():
                    if _is_litestar_error(media.schema):
                        media.schema = error
                    elif media.schema is not None:
                        media.schema = Schema(any_of=[media.schema, error])


def with_request_body(content: dict[str, dict[str, Any]], description: str) -> type[Operation]:
    """An Operation class documenting a request body the handler reads raw (bytes or a stream).

    `content` maps media types to JSON schemas, e.g. `{"image/jpeg": {"type": "string",
    "format": "binary"}}`; Litestar cannot infer a body it never parses.
    """

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                required=True,
                description=description,
                # A JSON Schema written as a plain dict, which litestar writes out as it is; its type
                # wants a Schema object.
                content={media: OpenAPIMediaType(schema=schema) for media, schema in content.items()},  # type: ignore[arg-type]
            )

    return DocumentedOperation
