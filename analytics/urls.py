"""Every analytics route."""

from django.urls import path

from analytics import user_views, views

urlpatterns = [
    path("analytics/activity/", views.ActivityCreateView.as_view(), name="analytics-activity"),
    path("analytics/user/<int:user_id>/", user_views.UserStatsView.as_view(), name="analytics-user-stats"),
    path(
        "analytics/user/<int:user_id>/export/",
        user_views.UserExportView.as_view(),
        name="analytics-user-export",
    ),
    path("analytics/import/", user_views.ListensImportView.as_view(), name="analytics-import"),
]
