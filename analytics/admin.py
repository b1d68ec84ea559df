"""Analytics in the admin: events (read only: they are a record), the rollup job's state,
and the staff dashboard (daily events by action, the week's trends)."""

from __future__ import annotations

from functools import cached_property

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from analytics.dashboard_chart import chart_build
from analytics.models import Activity, FillState
from analytics.selectors.daily import daily_actions
from analytics.selectors.snapshots import trends_get
from catalog.selectors.counts import queryset_count_bounded

DASHBOARD_DAYS = 30
DASHBOARD_TOP = 10


class BoundedCountPaginator(Paginator):
    """Counting billions of events for a page number would take minutes: exact up to a
    bound, the planner's estimate beyond it (on PostgreSQL)."""

    @cached_property
    def count(self) -> int:
        # ModelAdmin pages a queryset (the type says anything sliceable).
        assert isinstance(self.object_list, QuerySet)
        return queryset_count_bounded(self.object_list)[0]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "song", "action", "occurred_at", "excluded"]
    list_select_related = ["user", "song"]
    list_filter = ["action", "excluded"]
    # A listener's events, by their full username (get_search_results).
    search_fields = ["=user__username"]
    search_help_text = "A listener's username, in full."
    ordering = ["-id"]
    paginator = BoundedCountPaginator
    show_full_result_count = False
    raw_id_fields = ["user", "song"]
    change_list_template = "admin/analytics/activity/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Activity], search_term: str
    ) -> tuple[QuerySet[Activity], bool]:
        """The user looked up first, then their events by id: a join with the users could
        have the database walk every event for one listener's few."""
        username = search_term.strip()
        if not username:
            return queryset, False
        user_ids = list(
            get_user_model().objects.filter(username__iexact=username).values_list("id", flat=True)
        )
        return queryset.filter(user_id__in=user_ids), False

    def get_urls(self) -> list[URLPattern]:
        dashboard = path(
            "dashboard/", self.admin_site.admin_view(self.dashboard_view), name="analytics_dashboard"
        )
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """Staff (admin_view sends anyone else to the login page) allowed to view events."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Analytics dashboard",
            "opts": self.model._meta,
            "days": DASHBOARD_DAYS,
            "chart": chart_build(daily_actions(days=DASHBOARD_DAYS)),
            "trends": trends_get(window="week", limit=DASHBOARD_TOP),
        }
        return TemplateResponse(request, "admin/analytics/dashboard.html", context)


@admin.register(FillState)
class FillStateAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "last_applied", "total_applied"]
    readonly_fields = ["name", "last_run_at", "last_applied", "total_applied"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
