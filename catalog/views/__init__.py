"""Catalog views, one module per concern."""
