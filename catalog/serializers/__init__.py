"""Catalog serializers, one module per concern."""
