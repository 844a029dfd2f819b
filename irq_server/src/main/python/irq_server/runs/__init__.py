"""Runs (the tracker): a command's CPU usage reported while it runs, owned by a user."""
