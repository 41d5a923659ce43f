"""The library page's parts: page links and range, the view choice, bulk changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.models import LibraryView
from catalog import locations, records, series, services
from catalog import tags as tagging
from catalog.backends.base import Page
from catalog.models import ReadingStatus

# A message names the books changed when there are this many or fewer.
_NAMED = 3


# The most tags one listing filters by.
TAGS_FILTERED_MAX = 10


def tags_from_query(params) -> list[str]:
    """The tags a library address filters by (``?tag=a&tag=b``), once each.

    A value that can be no tag (too long, holding a bar) matches nothing as
    typed and is left out, as an unknown status is.
    """
    typed = (tagging.tidy(t) for t in params.getlist("tag"))
    usable = [t for t in typed if t and not tagging.check_tag(t)]
    return tagging.unique(usable)[:TAGS_FILTERED_MAX]


def location_from_query(params) -> str:
    """The location a library address filters by (``?location=Hall``), tidied.

    One too long to be any location matches nothing and is left out.
    """
    typed = locations.tidy(params.get("location", ""))
    return typed if len(typed) <= records.LOCATION_MAX_CHARS else ""


def series_from_query(params) -> str:
    """The series a library address filters by (``?series=Dune``), tidied.

    One that can be no series (too long, holding a bar) is left out.
    """
    typed = series.tidy(params.get("series", ""))
    return "" if series.check_name(typed) else typed


def location_url(location: str) -> str:
    """The library's address listing the books at this location."""
    return f"{reverse('catalog:book-list')}?{urlencode({'location': location})}"


def page_url(lookup: dict, cursor: str | None = None) -> str:
    """The library's address for this listing (and page)."""
    query = [
        ("q", lookup["query"]),
        ("status", lookup["status"] or ""),
        *(("tag", tag) for tag in lookup.get("tags", ())),
        ("location", lookup.get("location", "")),
        ("series", lookup.get("series", "")),
        ("sort", lookup["sort"]),
    ]
    query = [(k, v) for k, v in query if v]
    if cursor:
        query.append(("cursor", cursor))
    base = reverse("catalog:book-list")
    return f"{base}?{urlencode(query)}" if query else base


def tag_chips(lookup: dict) -> list[tuple[str, str]]:
    """Each tag filtered by, with the address of the listing without it."""
    tags = lookup.get("tags", [])
    return [
        (tag, page_url({**lookup, "tags": [t for t in tags if t != tag]}))
        for tag in tags
    ]


def range_label(page: Page, total: int | None) -> str:
    """ "1–24 of 30"; "1–24 of more than 24" when the number is not known."""
    if not page.items:
        return ""
    first, last = page.offset + 1, page.offset + len(page.items)
    if total is None and page.next_cursor is None:
        total = last  # a search that reached the end: every match is counted
    if total is None:
        return f"{first}–{last} of more than {last}"
    # Counters and pages read at different moments can disagree by a book.
    return f"{first}–{last} of {max(total, last)}"


def library_context(request, page: Page, total: int | None, lookup: dict) -> dict:
    """What the library template needs beyond the page itself."""
    return {
        "range_label": range_label(page, total),
        "total": total,
        "prev_url": page_url(lookup, page.prev_cursor) if page.prev_cursor else "",
        "next_url": page_url(lookup, page.next_cursor) if page.next_cursor else "",
        "here": request.get_full_path(),
        "library_view": getattr(request.user, "library_view", LibraryView.GRID),
        "view_choices": LibraryView.choices,
        "bulk_statuses": ReadingStatus.choices,
        "remove_url": reverse("catalog:books-remove"),
        "tags": lookup.get("tags", []),
        "tag_chips": tag_chips(lookup),
        "tag_max_chars": tagging.TAG_MAX_CHARS,
        "location": lookup.get("location", ""),
        "location_without": page_url({**lookup, "location": ""}),
        "series_filter": lookup.get("series", ""),
        "series_without": page_url({**lookup, "series": ""}),
    }


def _back(request):
    """Back to the library page the form was on (same filters and page)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("catalog:book-list")


@login_required
@require_POST
def library_view(request):
    """Remember the reader's choice of grid or list (on their account)."""
    try:
        account_services.user_set_library_view(
            user=request.user, view=request.POST.get("view", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    # A change needs no message: the pressed button and the page show it.
    return _back(request)


@login_required
@require_POST
def books_set_status(request):
    """Change the status of the books selected on the library page."""
    keys = request.POST.getlist("keys")
    if not keys:
        messages.warning(request, "Select some books first, then change their status.")
        return _back(request)
    try:
        result = services.userbooks_set_status(
            user=request.user, book_keys=keys, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, f"Nothing was changed: {' '.join(exc.messages)}")
        return _back(request)
    for level, text in status_messages(result):
        messages.add_message(request, level, text)
    return _back(request)


def books_count(count: int) -> str:
    """Say "1 book" or "3 books", for the messages of a change to many books."""
    return "1 book" if count == 1 else f"{count} books"


def book_names(records) -> str:
    """The records' titles as the reader sees them: “A”, “B” and “C”."""
    titles = [f"“{r.shown.display_title}”" for r in records]
    return (
        ", ".join(titles[:-1]) + f" and {titles[-1]}" if len(titles) > 1 else titles[0]
    )


def missing_message(missing: list[str]) -> tuple[int, str]:
    """The warning for chosen books that are not (or no longer) in the library."""
    verb = "is" if len(missing) == 1 else "are"
    return (
        messages.WARNING,
        f"{books_count(len(missing))} of those chosen {verb} not in your library "
        "(left alone).",
    )


def status_messages(result: services.BulkStatusResult) -> list[tuple[int, str]]:
    """The messages that tell the reader what a bulk change of status did."""
    label = ReadingStatus(result.status).label
    said = []
    if result.changed:
        text = f"Changed {books_count(len(result.changed))} to “{label}”"
        if len(result.changed) <= _NAMED:
            text += f": {book_names(result.changed)}"
        said.append((messages.SUCCESS, text + "."))
    if result.unchanged:
        were = "was" if len(result.unchanged) == 1 else "were"
        said.append(
            (
                messages.INFO,
                f"{books_count(len(result.unchanged))} {were} “{label}” already.",
            )
        )
    if result.missing:
        said.append(missing_message(result.missing))
    if result.skipped:
        said.append(
            (
                messages.WARNING,
                f"Not changed: {book_names(result.skipped)} (changed elsewhere "
                "meanwhile, or its dates need a look on its own page).",
            )
        )
    return said
