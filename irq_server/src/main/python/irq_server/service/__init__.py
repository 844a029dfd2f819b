"""The process model: the gunicorn app and worker, the helper processes and their supervisor."""
