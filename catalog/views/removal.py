"""Removing books from the library, and undoing it while it can be undone."""

from urllib.parse import parse_qsl, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from catalog import services

# The library's own query parameters a redirect keeps (a page cursor may no
# longer be valid once books are gone, so it starts again from the top).
_LIST_PARAMS = ("q", "status", "tag", "location", "series", "sort")
UNDO_TAG = "undo:"
# Whose message it is: a message waits in the browser's cookie for the next
# page, which may be another reader's after signing out and in.
READER_TAG = "reader:"


def removed(request, receipt: services.Removal) -> None:
    """Tell the reader what went, with an Undo button in the message."""
    tags = f"{UNDO_TAG}{receipt.token} {READER_TAG}{request.user.pk}"
    messages.success(request, receipt.message, extra_tags=tags)


def library_url(request) -> str:
    """The library, filtered and sorted as the page in ``next`` was (if local)."""
    url = reverse("catalog:book-list")
    target = request.POST.get("next", "")
    if not target or not url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return url
    kept = [(k, v) for k, v in parse_qsl(urlsplit(target).query) if k in _LIST_PARAMS]
    return f"{url}?{urlencode(kept)}" if kept else url


@login_required
@require_POST
def books_remove(request):
    """Remove the books chosen in the library list (``keys``), undoably."""
    keys = [k.strip() for k in request.POST.getlist("keys") if k.strip()]
    if not keys:
        messages.warning(request, "Choose the books to remove first.")
        return redirect(library_url(request))
    try:
        receipt = services.userbooks_remove(user=request.user, book_keys=keys)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(library_url(request))
    if receipt.count:
        removed(request, receipt)
    if receipt.ignored:
        messages.info(
            request,
            f"{receipt.ignored} of the chosen books were not in your library."
            if receipt.ignored > 1
            else "One of the chosen books was not in your library.",
        )
    return redirect(library_url(request))


@login_required
@require_POST
def undo_remove(request, token: str):
    """Put back the books a removal took, as they were."""
    try:
        restored = services.removal_undo(user=request.user, token=token)
    except services.UndoUnknown as exc:
        # Someone else's token is no object of this reader's: a 404, which
        # also answers an Undo sent twice, kindly.
        context = {"reason": str(exc)}
        return render(request, "catalog/undo_gone.html", context, status=404)
    except services.UndoExpired as exc:
        messages.warning(request, str(exc))
        return redirect(library_url(request))
    messages.success(request, restored.message)
    records = [*restored, *restored.kept]
    if len(records) == 1:
        return redirect(records[0])
    return redirect(library_url(request))
