from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from music_discovery import exceptions, health

api_patterns = [
    path("", include("users.urls")),
    path("", include("catalog.urls")),
    path("", include("recommendations.urls")),
    path("", include("analytics.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Anything else under /api/ is a JSON 404, never an HTML page.
    re_path(r"^.*$", exceptions.json_not_found),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
]

handler400 = "music_discovery.exceptions.bad_request"
handler403 = "music_discovery.exceptions.permission_denied"
handler404 = "music_discovery.exceptions.not_found"
handler500 = "music_discovery.exceptions.server_error"
