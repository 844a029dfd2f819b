"""irq_server: a REST server for a Linux host's interrupts and IRQ affinity."""

__version__ = "0.1.0"
