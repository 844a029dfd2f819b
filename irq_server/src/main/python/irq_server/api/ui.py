"""GET /ui/: the web view, static files shipped inside the package (irq_server/ui). They are
open to everyone: the page asks the JSON routes for data, and under --auth-reads those ask it
for a token (kept in the tab's sessionStorage). Plain Flask, outside the OpenAPI description:
these are files, not API operations. Every answer carries a strict Content-Security-Policy
(the page runs only its own script and style: no inline code, no other origin, no framing)
and the usual hardening headers."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

from irq_server.api.auth import no_token

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
blp = Blueprint("ui", __name__)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@blp.after_request
def harden(response):
    response.headers.update(SECURITY_HEADERS)
    return response


@blp.route("/")
@no_token
def site_root():
    """A browser pointed at the server gets the page (302: "/" may answer more one day)."""
    return redirect("/ui/", code=302)


@blp.route("/ui")
@no_token
def ui_root():
    return redirect("/ui/", code=308)


@blp.route("/ui/")
@no_token
def index():
    return send_from_directory(UI_DIR, "index.html")


@blp.route("/ui/<path:name>")
@no_token
def asset(name):
    return send_from_directory(UI_DIR, name)
