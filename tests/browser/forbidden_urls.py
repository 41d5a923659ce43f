"""The site's URLs plus one page that refuses everyone, to show the 403 page."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from booklibrary.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied


urlpatterns = [path("forbidden/", forbidden, name="forbidden"), *site_urlpatterns]
