from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from catalog.selectors.lookups import sqlite_functions_register

        connection_created.connect(sqlite_functions_register, dispatch_uid="catalog_sqlite_functions")
