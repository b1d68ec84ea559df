"""Every analytics route."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/activity/", views.ActivityCreateView.as_view(), name="analytics-activity"),
]
