"""Time-tracker adapters behind one protocol (`base.TimeSource`)."""
