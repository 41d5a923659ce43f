"""The site's URLs plus pages that fail on purpose, to show each error page."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from booklibrary.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied


def bad_request(request):
    raise SuspiciousOperation("A request no browser sends.")


def server_error(request):
    raise RuntimeError("A fault, on purpose.")


urlpatterns = [
    path("errors/403/", forbidden, name="forbidden"),
    path("errors/400/", bad_request, name="bad-request"),
    path("errors/500/", server_error, name="server-error"),
    *site_urlpatterns,
]
