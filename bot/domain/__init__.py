"""Pure rules of the enterprise-service domain: no I/O, no frameworks."""
