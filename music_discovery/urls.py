from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from music_discovery import admin_actions, exceptions, health, throttling


class DocsView(SpectacularSwaggerView):
    # GET and HEAD: DRF's OPTIONS answer went through this page's HTML renderer, which has no
    # template for it (a 500).
    http_method_names = ["get", "head"]


api_patterns: list[URLPattern | URLResolver] = [
    path("", include("users.urls")),
    path("", include("catalog.urls")),
    path("", include("recommendations.urls")),
    path("", include("analytics.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="docs"),
    # Anything else under /api/ is a JSON 404, never an HTML page.
    re_path(r"^.*$", exceptions.json_not_found),
]

admin_actions.install(admin.site)

urlpatterns = [
    # The site root (where the admin's "View site" leads) is the API's documentation.
    path("", RedirectView.as_view(url="/api/docs/"), name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Before admin.site.urls, which answers the same paths unthrottled.
    path("admin/login/", throttling.admin_login),
    path("admin/password_change/", throttling.admin_password_change),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # The API's root named without its slash: a JSON 404 like the root itself, not Django's
    # HTML redirect to it (APPEND_SLASH).
    path("api", exceptions.json_not_found),
]

handler400 = "music_discovery.exceptions.bad_request"
handler403 = "music_discovery.exceptions.permission_denied"
handler404 = "music_discovery.exceptions.not_found"
handler500 = "music_discovery.exceptions.server_error"
