"""What interrupts cost, in CPU time: measured by the IRQ threads where every handler runs in
one, estimated from history elsewhere, and nothing when the host accounts no IRQ time
(see cost.tiers)."""
