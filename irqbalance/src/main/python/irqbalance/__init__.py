"""irqbalance: plan, apply and roll back IRQ placement on remote hosts through irq_client."""

__version__ = "0.1.0"
