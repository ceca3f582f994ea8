"""Channel-agnostic use cases: each takes an inbound message and returns what to say to whom."""
