"""The Export page and its three downloads: JSON, Goodreads CSV and ZIP.

Downloads are GETs that store nothing in the library. Locally JSON and CSV
stream as they are read; the ZIP is built in a temporary file. Where a
response is bounded in size (AWS Lambda: 6 MB), ``EXPORT_TO_STORAGE`` builds
every download in a temporary file: a small one is answered directly, a
larger one is saved under the reader's exports in the storage and the answer is a
redirect to a short-lived signed URL.
"""

import inspect
import secrets
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from booklibrary.views import EXPORTS_PREFIX
from catalog import exporting
from catalog.models import UserBook

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


@login_required
@require_safe
def export_page(request):
    """What each download holds, and the links to them."""
    counts = UserBook.objects.status_counts(request.user)
    return render(request, "catalog/export.html", {"count": counts.get("all", 0)})


@login_required
@require_safe
def export_json(request):
    return _download(request, "json")


@login_required
@require_safe
def export_csv(request):
    return _download(request, "csv")


@login_required
@require_safe
def export_zip(request):
    return _download(request, "zip")


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for piece in chunks:
        yield piece.encode("utf-8")


def _text_chunks(user, kind: str) -> Iterator[str]:
    return exporting.json_chunks(user) if kind == "json" else exporting.csv_chunks(user)


def _download(request, kind: str):
    name = exporting.filename(kind)
    if request.method == "HEAD":
        # The headers a GET sends, without reading the library.
        response = HttpResponse(content_type=CONTENT_TYPES[kind])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return _private(response)
    if kind != "zip" and not settings.EXPORT_TO_STORAGE:
        response = StreamingHttpResponse(
            _encoded(_text_chunks(request.user, kind)),
            content_type=CONTENT_TYPES[kind],
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return _private(response)
    # The response closes the file once sent (and the system deletes it).
    built = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        if kind == "zip":
            exporting.write_zip(request.user, built)
        else:
            for piece in _encoded(_text_chunks(request.user, kind)):
                built.write(piece)
    except BaseException:
        built.close()
        raise
    size = built.tell()
    built.seek(0)
    if settings.EXPORT_TO_STORAGE and size > settings.EXPORT_INLINE_MAX_BYTES:
        with built:
            return redirect(_stored_url(request.user, name, built))
    response = FileResponse(
        built, as_attachment=True, filename=name, content_type=CONTENT_TYPES[kind]
    )
    return _private(response)


def _private(response):
    patch_cache_control(response, private=True, no_store=True)
    return response


def _stored_url(user, name: str, built) -> str:
    """Save a built export under the reader's exports; return its URL.

    The URL is signed and short-lived where the storage signs (S3), and the
    bucket deletes exports after a day; locally the media view serves them to
    their owner only.
    """
    path = f"{EXPORTS_PREFIX}{user.pk}/{secrets.token_urlsafe(16)}/{name}"
    stored = default_storage.save(path, File(built, name=name))
    if "expire" in inspect.signature(default_storage.url).parameters:
        return default_storage.url(stored, expire=settings.EXPORT_URL_SECONDS)
    return default_storage.url(stored)
