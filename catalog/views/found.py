"""The books a photo or the camera found: shown with their details, added in place."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from catalog import isbn as isbn_tools
from catalog import services
from catalog.backends.base import AlreadyInLibrary
from catalog.models import Book, ReadingStatus, UserBook
from catalog.views import added

# A photo holds a few barcodes; more keys than this in one refresh are ignored.
MAX_FOUND = 25


def candidates(
    user, isbns: list[str], books: dict[str, Book] | None = None
) -> list[dict]:
    """Each ISBN-13 with its edition as the reader sees it and their record, if any.

    One batch read of the editions (unless given) and one of the reader's
    records, whatever the number of ISBNs.
    """
    if books is None:
        books = Book.objects.get_many(isbns)
    owned = UserBook.objects.for_keys(user, list(books))
    found = []
    for isbn in isbns:
        if isbn not in books:
            continue
        record = owned.get(isbn)
        found.append(
            {
                "isbn": isbn,
                "book": books[isbn],
                "shown": record.shown if record else books[isbn],
                "owned": record,
            }
        )
    return found


@login_required
@require_safe
def found_books(request):
    """The found books again (``?isbns=a,b``), for the results to refresh in place."""
    raw = request.GET.get("isbns", "").split(",")[:MAX_FOUND]
    isbns = list(dict.fromkeys(i for i in raw if isbn_tools.is_valid(i)))
    isbns = [isbn_tools.to_isbn13(i) for i in isbns]
    return render(
        request,
        "includes/found_books.html",
        {"books": candidates(request.user, isbns)},
    )


@login_required
@require_http_methods(["POST"])
def add_one(request):
    """Add one scanned ISBN and answer in JSON, so scanning goes on meanwhile."""
    raw = request.POST.get("isbn", "")
    status = request.POST.get("status") or ReadingStatus.WANT
    try:
        record = services.userbook_add(user=request.user, isbn=raw, status=status)
    except isbn_tools.InvalidISBN as exc:
        shown = raw if len(raw) <= 40 else raw[:39] + "…"
        return JsonResponse(
            {"isbn": shown, "error": f"{shown} is not a valid ISBN: {exc}"},
            status=400,
        )
    except ValidationError as exc:
        return JsonResponse(
            {"isbn": raw[:40], "error": " ".join(exc.messages)}, status=400
        )
    except AlreadyInLibrary as exc:
        return JsonResponse(
            _described(exc.existing, already=True, message=added.already(exc.existing))
        )
    if record.book.is_pending:
        # Details may have come meanwhile (a job that ran at once): show them.
        record = UserBook.objects.get_for_user(request.user, record.book_id)
    return JsonResponse(
        _described(record, already=False, message=added.added(record)), status=201
    )


def _described(record: UserBook, *, already: bool, message: str) -> dict:
    """What the camera page shows of a record just added or already there."""
    shown = record.shown
    return {
        "isbn": shown.isbn13,
        "already": already,
        "title": shown.title or "",
        "authors": list(shown.authors or []),
        "url": record.get_absolute_url(),
        "status": shown.metadata_status,
        "trouble": shown.metadata_trouble,
        "message": message,
    }
