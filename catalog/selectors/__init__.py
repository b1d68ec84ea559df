"""Catalog selectors, one module per concern."""
