"""Project-wide views."""

import posixpath

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

# A reader's own files (their cover photos) live under private/<user id>/.
PRIVATE_PREFIX = "private/"


@require_safe
def health(request):
    """Answer the load balancer's and smoke checks' liveness probe."""
    return JsonResponse({"status": "healthy"})


def may_read_media(user, path: str) -> bool:
    """Tell whether ``user`` may read the media file at ``path`` (normalized).

    Fetched covers are public; a reader's private files are theirs and the
    administrators' only.
    """
    if not path.startswith(PRIVATE_PREFIX):
        return True
    owner = path[len(PRIVATE_PREFIX) :].split("/", 1)[0]
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
    if path.startswith(PRIVATE_PREFIX):
        patch_cache_control(response, private=True)
    return response
