"""Every recommendations route."""

from django.urls import path

from recommendations import playlist_views, views

urlpatterns = [
    path("songs/<int:id>/similar/", views.SongSimilarView.as_view(), name="song-similar"),
    path(
        "recommendations/user/<int:user_id>/",
        views.UserRecommendationsView.as_view(),
        name="recommendations-user",
    ),
    path(
        "recommendations/user/<int:user_id>/refresh/",
        views.RefreshView.as_view(),
        name="recommendations-refresh",
    ),
    path(
        "recommendations/user/<int:user_id>/why-not/<int:song_id>/",
        views.WhyNotView.as_view(),
        name="recommendations-why-not",
    ),
    path(
        "recommendations/user/<int:user_id>/feedback/",
        views.FeedbackView.as_view(),
        name="recommendations-feedback",
    ),
    path(
        "recommendations/user/<int:user_id>/snooze/",
        views.SnoozeView.as_view(),
        name="recommendations-snooze",
    ),
    path(
        "recommendations/user/<int:user_id>/playlists/<str:kind>/",
        playlist_views.PlaylistView.as_view(),
        name="recommendations-playlist",
    ),
    path("recommendations/tasks/<uuid:task_id>/", views.TaskView.as_view(), name="recommendations-task"),
]
