"""The project's URLs plus two views that provoke errors the real endpoints never should."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from music_discovery.parsers import JSONParser
from music_discovery.urls import handler400, handler404, handler500
from music_discovery.urls import urlpatterns as project_urlpatterns


class EchoView(APIView):
    """Parses the body with JSON's parser, every endpoint's, and the form parsers (the
    listening-history import takes a multipart upload): their limits are tested once, here."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def post(self, request):
        return Response({"keys": sorted(request.data)})


class CrashView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug")


def crash_outside_api(request):
    raise RuntimeError("a bug")


def plain_form(request):
    """A plain Django view (not DRF): CsrfViewMiddleware guards it like the admin's forms."""
    return HttpResponse("ok")


urlpatterns = [
    path("api/test-echo/", EchoView.as_view()),
    path("api/test-crash/", CrashView.as_view()),
    path("test-crash/", crash_outside_api),
    path("api/test-form/", plain_form),
    *project_urlpatterns,
]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
