"""The audit log of affinity writes (store.py)."""
