"""Project-wide views."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def health(request):
    """Answer the load balancer's and smoke checks' liveness probe."""
    return JsonResponse({"status": "healthy"})


@require_safe
def media(request, path: str):
    """Serve an uploaded or downloaded file from MEDIA_ROOT (local mode only)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
