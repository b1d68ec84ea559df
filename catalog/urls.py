from catalog.views import ratings, songs

urlpatterns = [*songs.urlpatterns, *ratings.urlpatterns]
