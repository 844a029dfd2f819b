"""flask-smorest Blueprint that also documents the json_or_form body location."""
from __future__ import annotations

import orjson
from flask import Response
from flask_smorest import Blueprint as _Blueprint

from irq_server.errors import InvalidInput


class Blueprint(_Blueprint):
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **_Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/json",
    }


def json_response(body: dict, status: int = 200) -> Response:
    """Serialise with orjson (numpy-aware): the /irqs matrix is hundreds of thousands of ints."""
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status=status,
                    mimetype="application/json")


def path_number(text: str, field: str) -> int:
    """A non-negative integer from a path segment ("24"); InvalidInput naming `field` otherwise
    (str.isdigit alone admits "³", which int() refuses)."""
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"{field} {text!r} is not a non-negative integer", field=field)
    return int(text)
