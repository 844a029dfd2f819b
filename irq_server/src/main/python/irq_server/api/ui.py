"""GET /ui/: the web view, static files shipped inside the package (irq_server/ui). They are
open to everyone: the page asks the JSON routes for data, and under --auth-reads those ask it
for a token (kept in the tab's sessionStorage). Plain Flask, outside the OpenAPI description:
these are files, not API operations."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

from irq_server.api.auth import no_token

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
blp = Blueprint("ui", __name__)


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
