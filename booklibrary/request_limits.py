"""Refuse a request whose body is too large before anything reads it.

Django reads a body only when asked (request.POST, request.FILES), so a check of
the declared Content-Length here, before any view or CSRF check runs, answers
413 without reading a byte of it. Most requests need little: a form of text.
Only the views that take a photo, and only for someone logged in, accept a
body the size of a photo (REQUEST_UPLOAD_VIEWS, REQUEST_MAX_UPLOAD_BYTES), and
the Import page one the size of an import file (REQUEST_IMPORT_VIEWS).
A body sent without a Content-Length is not read by Django at all.
"""

from django.conf import settings
from django.shortcuts import render
from django.urls import Resolver404, resolve

MEGABYTE = 1024 * 1024


def _declared_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # as Django treats it: no body


def body_limit(request) -> int:
    """The most bytes of body this request may send."""
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        return settings.REQUEST_MAX_BODY_BYTES
    if view_name in settings.REQUEST_IMPORT_VIEWS and request.user.is_authenticated:
        return settings.IMPORT_MAX_UPLOAD_BYTES + MEGABYTE
    if view_name in settings.REQUEST_UPLOAD_VIEWS and request.user.is_authenticated:
        return settings.REQUEST_MAX_UPLOAD_BYTES
    return settings.REQUEST_MAX_BODY_BYTES


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".removesuffix(".0")


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is over its limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _declared_length(request)
        # Most requests are small: no URL resolving or session reading for them.
        if length > settings.REQUEST_MAX_BODY_BYTES:
            limit = body_limit(request)
            if length > limit:
                return too_large(request, length=length, limit=limit)
        return self.get_response(request)


def too_large(request, *, length: int, limit: int):
    """The short page that says the request was too large, with status 413."""
    context = {"size": _megabytes(length), "limit": _megabytes(limit)}
    return render(request, "request_too_large.html", context, status=413)
