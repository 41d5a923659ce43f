"""Project-wide views."""

import posixpath

from django.conf import settings
from django.http import Http404, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_response_headers
from django.views.decorators.http import require_safe
from django.views.static import serve

ONE_DAY = 24 * 60 * 60
# A reader's own files (their cover photos) live under private/<user id>/,
# their large exports under exports/<user id>/ (deleted after a day on AWS).
PRIVATE_PREFIX = "private/"
EXPORTS_PREFIX = "exports/"
OWNED_PREFIXES = (PRIVATE_PREFIX, EXPORTS_PREFIX)


@require_safe
def health(request):
    """Answer the load balancer's and smoke checks' liveness probe."""
    return JsonResponse({"status": "healthy"})


@require_safe
def favicon(request):
    """Send browsers that ask for /favicon.ico to the icon among the static files.

    A temporary redirect, cached for a day: the static file's name changes
    with its content on a deploy.
    """
    response = redirect(static("favicon.ico"))
    patch_response_headers(response, cache_timeout=ONE_DAY)
    return response


@require_safe
def manifest(request):
    """The web-app manifest: name, colours and icons for "Add to home screen"."""
    icons = [
        {"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}"}
        for size in (192, 512)
    ]
    body = {
        "name": "Book Library",
        "short_name": "Library",
        "description": "Your home library, cataloged.",
        "start_url": reverse("catalog:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": [{**icon, "type": "image/png", "purpose": "any"} for icon in icons],
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    patch_response_headers(response, cache_timeout=ONE_DAY)
    return response


def csrf_failure(request, reason: str = ""):
    """A refused form (its security token expired or missing) in the site's layout.

    Used through settings.CSRF_FAILURE_VIEW; says what to do instead of
    Django's technical page.
    """
    context = {"no_cookies": reason == REASON_NO_CSRF_COOKIE}
    return render(request, "403_csrf.html", context, status=403)


def may_read_media(user, path: str) -> bool:
    """Tell whether ``user`` may read the media file at ``path`` (normalized).

    Fetched covers are public; a reader's private files are theirs and the
    administrators' only.
    """
    if not path.startswith(OWNED_PREFIXES):
        return True
    owner = path.split("/", 2)[1]
    return user.is_authenticated and (str(user.pk) == owner or user.is_staff)


@require_safe
def media(request, path: str):
    """Serve a file from MEDIA_ROOT (local mode only); private ones to their owner.

    Anyone else gets the same 404 as for a missing file, so private paths
    reveal nothing.
    """
    path = posixpath.normpath(path).lstrip("/")
    if not may_read_media(request.user, path):
        raise Http404("No such file")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    if path.startswith(OWNED_PREFIXES):
        patch_cache_control(response, private=True)
    return response
