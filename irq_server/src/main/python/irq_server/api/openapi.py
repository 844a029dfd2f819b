"""The served OpenAPI description, exact enough for a fuzzer to check the server against it.

flask-smorest builds the spec from the marshmallow schemas; five things are added here, in
one place:
- every error answer is documented as `application/problem+json` with the problem schema
  (what `irq_server.api.problems` really sends), not flask-smorest's `application/json`;
- the bearer scheme, required on the operations that change state;
- a response that has two shapes: `@blp.doc` a `oneOf` for its content schema, which then
  replaces the declared one (GET /storage?all=1 answers an object of series);
- operations a server flag opens (open_operations: the registry's --open-publish);
- schema-level rules marshmallow cannot express (`OPENAPI_EXTRA` on a schema class, such as
  "exactly one of these two fields"), merged into that schema's component.
"""
from __future__ import annotations

import http

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest import Api as _Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from irq_server.api.problems import PROBLEM_JSON

BEARER = "bearerAuth"
WRITE_METHODS = ("put", "post", "patch", "delete")


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error answer carries them."""

    type = fields.String(metadata={"description": "URI naming the kind of problem"})
    title = fields.String(metadata={"description": "short summary of the kind"})
    status = fields.Integer(metadata={"description": "HTTP status code"})
    detail = fields.String(metadata={"description": "what went wrong with this request"})
    instance = fields.String(metadata={"description": "path of the request"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "field name -> messages, for bad input"})


class ContractPlugin(BasePlugin):
    """apispec plugin: schema extras; bearer security on write operations (unless one says
    otherwise), and 401/403 on every operation that has security."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        cls = schema if isinstance(schema, type) else type(schema)
        return dict(getattr(cls, "OPENAPI_EXTRA", {}) or {})

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values() if isinstance(
                        response, dict) else ():
                    schema = media.get("schema", {})
                    if "oneOf" in schema:  # a documented alternative replaces the declared one
                        media["schema"] = {"oneOf": schema["oneOf"]}
            if method in WRITE_METHODS:
                operation.setdefault("security", [{BEARER: []}])
            if operation.get("security"):
                responses = operation.setdefault("responses", {})
                responses.setdefault(401, "UNAUTHORIZED")
                responses.setdefault(403, "FORBIDDEN")


class Api(_Api):
    """flask-smorest's Api, with problem+json errors and the bearer security scheme."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, **kwargs):
        kwargs.setdefault("spec_kwargs", {})
        kwargs["spec_kwargs"].setdefault("marshmallow_plugin", MarshmallowPlugin())
        kwargs["spec_kwargs"].setdefault("extra_plugins", [ContractPlugin()])
        super().__init__(app, **kwargs)
        self.spec.components.security_scheme(
            BEARER, {"type": "http", "scheme": "bearer",
                     "description": "irq-server token (irq-server token create); writes need "
                                    "scope 'write', reads need a token only with --auth-reads"})

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (application/problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def open_operations(api: Api, operations: list[tuple[str, str]]) -> None:
    """Describe these (method, path) operations as taking no token: the server runs with a
    flag that opens them (the registry's --open-publish), so the description says so."""
    paths = api.spec._paths  # apispec keeps the registered paths here
    for method, path in operations:
        operation = paths[path][method]
        operation["security"] = []
        for status in (401, 403, "401", "403"):
            operation["responses"].pop(status, None)
