"""The reader's series: the list with counts, one series in order with its gaps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from booklibrary.cursors import InvalidCursor
from catalog import series, services
from catalog.backends.base import StaleEdit
from catalog.models import UserBook
from catalog.views import listing

# One series page lists this many books at most; a longer series links on.
SERIES_PAGE_SIZE = 200


@login_required
@require_safe
def series_list(request):
    """Every series of the reader's, by name, with how many books each holds."""
    counts = UserBook.objects.series_counts(request.user)
    rows = [
        {"name": name, "key": key, "count": count} for name, key, count in counts.series
    ]
    return render(
        request,
        "catalog/series_list.html",
        {"rows": rows, "complete": counts.complete},
    )


def _shelf(records: list[UserBook], key: str) -> list[dict]:
    """The records in position order, each with the gap before it."""
    rows = []
    for record in records:
        position = series.position_in(record.shown.series or [], key)
        rows.append({"record": record, "position": position})
    rows.sort(
        key=lambda row: (
            series.order_key(row["position"]),
            row["record"].sort_title,
            row["record"].book_id,
        )
    )
    gaps = series.gaps_before([row["position"] for row in rows])
    for row, gap in zip(rows, gaps, strict=True):
        row["gap"] = gap
    return rows


def _name(records: list[UserBook], key: str, fallback: str) -> str:
    for record in records:
        for one in record.shown.series or []:
            if series.series_key(one["name"]) == key:
                return one["name"]
    return fallback


@login_required
@require_safe
def series_page(request, key: str):
    """One series: the reader's books in position order, the gaps between them."""
    key = series.series_key(key)
    if not key or series.check_name(key):
        raise Http404("No such series.")
    cursor = request.GET.get("cursor") or None
    lookup = {"series": key, "sort": "series", "limit": SERIES_PAGE_SIZE}
    try:
        page = UserBook.objects.page_for_user(request.user, cursor=cursor, **lookup)
    except InvalidCursor:
        messages.warning(
            request, "That page link is no longer valid; here is the first page."
        )
        page = UserBook.objects.page_for_user(request.user, **lookup)
    if not page.items and not page.next_cursor and not cursor:
        # Only the reader's own series have a page: another's name shows nothing.
        raise Http404("None of your books is in this series.")
    rows = _shelf(page.items, key)
    positions = [row["position"] for row in rows]
    context = {
        "key": key,
        "name": _name(page.items, key, key),
        "rows": rows,
        "held": series.held_text(positions),
        "missing": series.missing(positions),
        "next_cursor": page.next_cursor,
        "library_url": listing.page_url(
            {"query": "", "status": None, "series": key, "sort": "series"}
        ),
    }
    return render(request, "catalog/series_page.html", context)


@login_required
@require_POST
def book_series_accept(request, key: str):
    """Take the series the title suggests as the reader's own correction."""
    try:
        record = services.userbook_accept_series(user=request.user, book_key=key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    except (ValidationError, StaleEdit):
        messages.warning(
            request, "The series could not be added; correct the details below."
        )
        return redirect("catalog:book-correct", key=key)
    if record.shown.series:
        names = ", ".join(one["line"] for one in record.shown.series_shown)
        messages.success(request, f"Added the series {names}; only you see it.")
    return redirect(record)
