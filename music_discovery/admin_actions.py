"""The admin's delete action, bounded: at most MAX_DELETE rows at once.

Django's action first shows a confirmation page listing every row that goes with the
selected ones (a song's credits, genre links, ratings and events), collected in one request.
A page of rows is a few hundred of them; "select all" on the songs' list selected the whole
catalog, and collecting a million songs' rows outlasted the web worker's timeout (the worker
was killed, the client got a 500). Ticking rows one page at a time reaches at most Django's
own bound on a form's fields (DATA_UPLOAD_MAX_NUMBER_FIELDS, 1,000); MAX_DELETE holds
"select all" to the same."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import actions
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

MAX_DELETE = 1000


@admin.action(permissions=["delete"], description=actions.delete_selected.short_description)  # type: ignore[attr-defined]
def delete_selected(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    selected = queryset.count()
    if selected > MAX_DELETE:
        modeladmin.message_user(
            request,
            f"{selected:,} {modeladmin.model._meta.verbose_name_plural} selected: delete at most "
            f"{MAX_DELETE:,} at once. Nothing was deleted.",
            messages.ERROR,
        )
        return None
    return actions.delete_selected(modeladmin, request, queryset)


def install(site: admin.AdminSite) -> None:
    """Puts the bounded action in place of Django's on every model of `site`."""
    site.add_action(delete_selected, "delete_selected")
