"""Every catalog route. Ids are plain decimal integers: anything else is a JSON 404."""

from django.urls import path

from catalog.views import artists, ratings, songs

urlpatterns = [
    # Anonymous repeats are answered from the cache before they reach this route
    # (catalog.list_cache.SongListCacheMiddleware).
    path("songs/", songs.SongListView.as_view(), name="song-list"),
    path("songs/<int:id>/", songs.SongDetailView.as_view(), name="song-detail"),
    path("artists/", artists.ArtistListView.as_view(), name="artist-list"),
    path("artists/<int:id>/", artists.ArtistDetailView.as_view(), name="artist-detail"),
    path("genres/", artists.GenreListView.as_view(), name="genre-list"),
    *ratings.urlpatterns,
]
