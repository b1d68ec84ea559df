"""Analytics reads, one module per concern. Other apps import from here only."""
