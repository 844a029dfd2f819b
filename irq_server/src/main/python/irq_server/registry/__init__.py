"""The connection registry: entries (uid -> uri) published under partitions, with a TTL."""

IRQ_SERVER = "irq-server"  # the data_type irq-servers publish themselves under
