"""The connection registry: entries (uid -> uri) published under partitions, with a TTL."""
