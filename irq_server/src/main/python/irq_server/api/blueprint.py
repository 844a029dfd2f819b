"""flask-smorest Blueprint that also documents the json_or_form body location."""
from __future__ import annotations

import orjson
from flask import Response
from flask_smorest import Blueprint as _Blueprint
from marshmallow import ValidationError, fields
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

from irq_server.errors import InvalidInput, NotFound


class Parser(FlaskParser):
    """webargs' parser, reading JSON with orjson (which refuses what Python's json takes and
    then chokes on: nesting past 1024 levels, lone surrogates, numbers out of range: 400, not
    a RecursionError or UnicodeEncodeError later), plus one location, "body": the raw body
    read as JSON whatever its Content-Type when it looks like JSON (the older services'
    clients post JSON without saying so, or as a form type), else a form."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            return orjson.loads(data)  # JSONDecodeError: webargs says 400 ...
        except orjson.JSONDecodeError as exc:
            if data and not exc.doc:  # ... but takes an empty `doc` for "no body", which is
                self._handle_invalid_json_error(exc, req)  # also what orjson gives bytes
            raise  # that are not UTF-8: those are not "no body"

    def _makeproxy(self, multidict, schema, *args, **kwargs):
        """Query strings and forms: a field given twice is a 422 naming it (werkzeug would
        hand over its first value only, so '?a=1&a=2' would silently mean a=1)."""
        for key in multidict:
            field = schema.fields.get(key)
            if field is not None and not isinstance(field, (fields.List, fields.Tuple)) and \
                    len(multidict.getlist(key)) > 1:
                raise ValidationError({key: [f"given {len(multidict.getlist(key))} times: "
                                             "give it once"]})
        return super()._makeproxy(multidict, schema, *args, **kwargs)

    def load_body(self, req, schema):
        data = req.get_data(cache=True)  # first: werkzeug then parses a form from the cache
        if data.lstrip()[:1] in (b"{", b"[") or (
                data and req.mimetype not in ("application/x-www-form-urlencoded",
                                              "multipart/form-data")):
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                self._handle_invalid_json_error(exc, req)
        return self.load_form(req, schema) if data else core.missing

    def load_json_body(self, req, schema):
        """"body", only when it says it is JSON: a web page cannot send that to another
        origin without a CORS preflight (which this server never grants), so it cannot
        forge the request; text/plain and form bodies get 415."""
        if req.get_data(cache=True) and not (req.mimetype == "application/json"
                                             or req.mimetype.endswith("+json")):
            raise UnsupportedMediaType(f"send this body as 'Content-Type: application/json' "
                                       f"(not {req.mimetype or 'none'})")
        return self.load_body(req, schema)


Parser.__location_map__ = {**FlaskParser.__location_map__, "body": "load_body",
                           "json_body": "load_json_body"}


class Blueprint(_Blueprint):
    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **_Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/json",
        "body": "application/json",
        "json_body": "application/json",
    }


def path_param(name: str, description: str) -> list[dict]:
    """The OpenAPI description of a path segment that is a non-negative integer."""
    return [{"in": "path", "name": name, "description": description,
             "schema": {"type": "integer", "minimum": 0}}]


def json_response(body: dict, status: int = 200) -> Response:
    """Serialise with orjson (numpy-aware): the /irqs matrix is hundreds of thousands of ints."""
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status=status,
                    mimetype="application/json")


PATH_NUMBER_MAX = 2 ** 32 - 1  # IRQ and CPU numbers are unsigned ints in the kernel


def path_number(text: str, field: str) -> int:
    """A non-negative integer from a path segment ("24"); InvalidInput naming `field` otherwise
    (str.isdigit alone admits "³", which int() refuses); NotFound above PATH_NUMBER_MAX (no
    such object can exist, and its name would be too long for a file name)."""
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"{field} {text[:40]!r} is not a non-negative integer", field=field)
    if len(text) > 10 or int(text) > PATH_NUMBER_MAX:
        raise NotFound(f"{field} {text[:20]}{'...' if len(text) > 20 else ''} does not exist "
                       f"(at most {PATH_NUMBER_MAX})", field=field)
    return int(text)
