"""Top-level URL configuration."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.throttling import ThrottledAdminAuthenticationForm
from booklibrary import views

# The admin's login is throttled like the login page.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("health", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("catalog.urls")),
]

if settings.SERVE_MEDIA:
    # A home server has no separate web server for covers and uploads.
    from django.urls import re_path

    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            views.media,
            name="media",
        )
    ]
