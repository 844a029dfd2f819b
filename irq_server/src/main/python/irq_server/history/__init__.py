"""Interrupt history: snapshots of every counter, a tiered SQLite store, windows between them."""
