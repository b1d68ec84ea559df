"""Every analytics route."""

from django.urls import path

from analytics import platform_views, views

urlpatterns = [
    path("analytics/activity/", views.ActivityCreateView.as_view(), name="analytics-activity"),
    path("analytics/summary/", platform_views.SummaryView.as_view(), name="analytics-summary"),
    path("analytics/trends/", platform_views.TrendsView.as_view(), name="analytics-trends"),
]
