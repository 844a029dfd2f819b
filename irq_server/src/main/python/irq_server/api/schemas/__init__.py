"""Marshmallow schemas, one module per resource: request validation and the OpenAPI
description of every answer.

Responses are built as plain dicts (api/builders.py and the route modules; the /irqs matrix is
too big to dump field by field) and serialised with orjson; these schemas document them in
/openapi.json, and the schemathesis test checks every answer against them.
"""
