"""Every analytics route."""

from django.urls import path

from analytics import platform_views, user_views, views

urlpatterns = [
    path("analytics/activity/", views.ActivityCreateView.as_view(), name="analytics-activity"),
    path("analytics/summary/", platform_views.SummaryView.as_view(), name="analytics-summary"),
    path("analytics/trends/", platform_views.TrendsView.as_view(), name="analytics-trends"),
    path("analytics/user/<int:user_id>/", user_views.UserStatsView.as_view(), name="analytics-user-stats"),
    path(
        "analytics/user/<int:user_id>/export/",
        user_views.UserExportView.as_view(),
        name="analytics-user-export",
    ),
    path(
        "analytics/user/<int:user_id>/exclusions/",
        user_views.ExclusionsView.as_view(),
        name="analytics-user-exclusions",
    ),
    path("analytics/import/", user_views.ListensImportView.as_view(), name="analytics-import"),
]
