"""Tokens, users and JWTs: who may call the API, and with which scope."""
