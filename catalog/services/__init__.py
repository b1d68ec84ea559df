"""Catalog services, one module per concern."""
