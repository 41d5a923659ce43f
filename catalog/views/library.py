"""Catalog pages. Views parse requests and call services and managers."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from booklibrary.cursors import InvalidCursor
from catalog import records, services
from catalog.backends.base import DEFAULT_SORT, SORTS, AlreadyInLibrary, StaleEdit
from catalog.forms import (
    AddByIsbnForm,
    CoverPhotoForm,
    ManualBookForm,
    ShelfFieldsMixin,
    UserBookForm,
)
from catalog.models import ReadingStatus, UserBook
from catalog.views import added, listing, loans, removal, tags
from catalog.views.locations import location_suggestions
from catalog.views.readings import book_readings_context


def _get_userbook_or_404(user, key: str) -> UserBook:
    try:
        return UserBook.objects.get_for_user(user, key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None


@require_safe
def home(request):
    """The dashboard: counts per status, currently reading, recently added.

    A reader with no books yet sees the ways to add one instead.
    """
    if not request.user.is_authenticated:
        return render(request, "catalog/welcome.html")
    user = request.user
    counts = UserBook.objects.status_counts(user)
    if counts["all"] == 0:
        # A new reader gets the ways to add a first book, not a row of zeros.
        return render(request, "catalog/home_first_run.html")
    # Six of each: one row of covers beside the other on a wide screen.
    reading, recent = UserBook.objects.pages_for_user(
        user,
        [
            {"status": ReadingStatus.READING, "limit": 6},
            {"sort": "added", "limit": 6},
        ],
    )
    context = {
        "counts": counts,
        "status_cards": _status_cards(counts),
        "reading": reading.items,
        "recent": recent.items,
    }
    return render(request, "catalog/home.html", context)


def _status_cards(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(value, label, counts[value]) for value, label in ReadingStatus.choices]


@login_required
@require_safe
def book_list(request):
    """The library: search, filter by status, sort, page by cursor."""
    query = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    status = status if status in ReadingStatus.values else ""
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    cursor = request.GET.get("cursor") or None
    tags = listing.tags_from_query(request.GET)
    lookup = {"status": status or None, "query": query, "tags": tags, "sort": sort}
    lookup["location"] = listing.location_from_query(request.GET)
    lookup["series"] = listing.series_from_query(request.GET)
    on_loan = request.GET.get("loan") == "out"
    try:
        page = (
            loans.on_loan_page(request.user, _page_size())
            if on_loan
            else UserBook.objects.page_for_user(
                request.user, cursor=cursor, limit=_page_size(), **lookup
            )
        )
    except InvalidCursor:
        messages.warning(
            request, "That page link is no longer valid; here is the first page."
        )
        page = None
    if page is not None and cursor and not page.items and not page.next_cursor:
        # Every book of that page has gone since the link was made.
        messages.info(request, "That page is empty now; here is the first page.")
        page = None
    if page is None:
        page = UserBook.objects.page_for_user(
            request.user, limit=_page_size(), **lookup
        )
    if not on_loan:
        loans.mark_open_loans(request.user, page.items)
    counts = UserBook.objects.status_counts(request.user)
    total = (
        len(page.items)
        if on_loan
        else UserBook.objects.count_for_user(
            request.user,
            status=lookup["status"],
            query=query,
            tags=tags,
            location=lookup["location"],
            series=lookup["series"],
        )
    )
    context = {
        "on_loan": on_loan,
        "page": page,
        "query": query,
        "status": status,
        "sort": sort,
        "sorts": SORTS,
        "counts": counts,
        "status_cards": _status_cards(counts),
        "is_first_page": page.prev_cursor is None,
        **listing.library_context(request, page, total, lookup),
    }
    return render(request, "catalog/book_list.html", context)


def _page_size() -> int:
    return settings.CATALOG_PAGE_SIZE


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_add(request):
    """Add a book by ISBN or by hand."""
    mode = request.POST.get("mode", request.GET.get("mode", "isbn"))
    mode = mode if mode in ("isbn", "manual") else "isbn"
    posted = request.POST if request.method == "POST" else None
    shelf = _shelf_from_query(request.GET)
    isbn_form = AddByIsbnForm(
        posted if mode == "isbn" else None,
        initial={"isbn": request.GET.get("isbn", ""), **shelf},
        prefix="isbn",
    )
    manual_form = ManualBookForm(
        posted if mode == "manual" else None,
        request.FILES if mode == "manual" and posted else None,
        initial=shelf,
        prefix="manual",
    )
    existing = None
    if request.method == "POST":
        form = manual_form if mode == "manual" else isbn_form
        if form.is_valid():
            try:
                record = _add_from_form(request.user, mode, form)
            except AlreadyInLibrary as exc:
                existing = exc.existing
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, added.added(record))
                if mode == "manual" and form.cleaned_data["cover_photo"]:
                    _use_cover_photo(request, record, form.cleaned_data["cover_photo"])
                if request.POST.get("next_action") == "add_another":
                    return redirect(_add_another_url(mode, form.cleaned_data))
                return redirect(record)
    context = {
        "isbn_form": isbn_form,
        "manual_form": manual_form,
        "mode": mode,
        "existing": existing,
        "already": added.already(existing) if existing else "",
        **location_suggestions(request.user),
    }
    return render(request, "catalog/book_add.html", context)


def _add_another_url(mode: str, cleaned: dict) -> str:
    """The add page again, on the same tab, with the shelf just chosen."""
    query = {
        "mode": mode,
        "status": cleaned["status"],
        "owned": "1" if cleaned["owned"] else "0",
        "location": cleaned["location"],
    }
    return f"{reverse('catalog:book-add')}?{urlencode(query)}"


def _shelf_from_query(query) -> dict:
    """Status, owned and location carried over by "Add and add another".

    Anything odd falls back: an unknown status to "want", a long location is cut
    to what the form takes. Nothing here is saved until the form is posted.
    """
    status = query.get("status", "")
    limit = ShelfFieldsMixin.base_fields["location"].max_length
    return {
        "status": status if status in ReadingStatus.values else ReadingStatus.WANT,
        "owned": query.get("owned", "1") != "0",
        "location": query.get("location", "").strip()[:limit],
    }


def _add_from_form(user, mode: str, form) -> UserBook:
    shelf = {
        "status": form.cleaned_data["status"],
        "owned": form.cleaned_data["owned"],
        "location": form.cleaned_data["location"],
    }
    if mode == "manual":
        return services.userbook_add_manual(
            user=user,
            book_fields=form.book_fields(),
            isbn=form.cleaned_data["isbn"],
            **shelf,
        )
    return services.userbook_add(user=user, isbn=form.cleaned_data["isbn"], **shelf)


def _use_cover_photo(request, record: UserBook, image) -> None:
    try:
        services.userbook_set_cover_photo(
            user=request.user, book_key=record.book_id, image=image
        )
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    except StaleEdit:
        messages.warning(
            request, "This book kept changing elsewhere; try your photo again."
        )
    else:
        messages.success(request, "Your photo is the cover now (only you see it).")


@login_required
@require_http_methods(["POST"])
def book_cover(request, key: str):
    """Use the reader's photo as the cover they see (or go back to the fetched one)."""
    record = _get_userbook_or_404(request.user, key)
    if request.POST.get("action") == "clear":
        services.userbook_clear_cover_photo(user=request.user, book_key=key)
        messages.success(request, "Your photo is gone; the book's own cover shows.")
        return redirect(record)
    form = CoverPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        _use_cover_photo(request, record, form.cleaned_data["photo"])
    else:
        messages.error(request, " ".join(form.errors["photo"]))
    return redirect(record)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_detail(request, key: str):
    """One book and the user's record of it, editable in place."""
    record = _get_userbook_or_404(request.user, key)
    conflict = None
    if request.method == "POST":
        form = UserBookForm(request.POST, user_id=request.user.pk, book_key=key)
        if form.is_valid():
            try:
                saved = services.userbook_update(
                    user=request.user,
                    book_key=key,
                    version=form.loaded_version,
                    loaded=form.loaded_values,
                    changes=form.changes(),
                )
            except services.EditConflict as exc:
                conflict = exc
                record = exc.current
                form = _rebase_form(exc)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except UserBook.DoesNotExist:
                messages.warning(request, "That book was removed from your library.")
                return redirect("catalog:book-list")
            else:
                messages.success(request, records.saved_message(saved))
                return redirect(record)
    else:
        form = UserBookForm.for_record(record)
    context = {
        "record": record,
        "book": record.shown,
        "form": form,
        "changed_elsewhere": records.elsewhere_message(
            record, conflict.merge.changed_elsewhere if conflict else []
        ),
        **loans.book_loans_context(request.user, record),
        **tags.book_tags_context(record),
        **book_readings_context(record),
        **location_suggestions(request.user),
    }
    return render(request, "catalog/book_detail.html", context)


def _rebase_form(conflict: services.EditConflict) -> UserBookForm:
    """The reader's edit on top of the record now stored, conflicts to settle.

    Fields changed only elsewhere show the stored value, fields changed only
    here the reader's; for fields both changed, the form asks which to keep.
    """
    current, merge = conflict.current, conflict.merge
    stored = records.values(current)
    values = {**stored, **merge.changes}
    values.update({name: mine for name, (_, mine) in merge.conflicts.items()})
    snapshot = records.Snapshot(current.version, stored, tuple(merge.conflicts))
    return UserBookForm.for_values(current, values, snapshot)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_remove(request, key: str):
    """Confirm, then remove a book from the user's library."""
    record = _get_userbook_or_404(request.user, key)
    if request.method == "POST":
        try:
            receipt = services.userbook_remove(user=request.user, book_key=key)
        except UserBook.DoesNotExist:
            raise Http404("No such book in your library.") from None
        removal.removed(request, receipt)
        return redirect("catalog:book-list")
    context = {"record": record, "undo_minutes": settings.REMOVAL_UNDO_SECONDS // 60}
    return render(request, "catalog/book_remove.html", context)


@login_required
@require_safe
def book_details_fragment(request, key: str):
    """The book's details block alone, for the page to refresh while fetching."""
    record = _get_userbook_or_404(request.user, key)
    return render(
        request, "includes/book_info.html", {"record": record, "book": record.shown}
    )


@login_required
@require_safe
def book_cards(request):
    """Cards for some of the user's books (``?keys=a,b``), to refresh in place."""
    keys = [k for k in request.GET.get("keys", "").split(",") if k][:50]
    records = UserBook.objects.for_keys(request.user, keys)
    shown = [records[k] for k in keys if k in records]
    loans.mark_open_loans(request.user, shown)
    return render(request, "includes/book_cards.html", {"records": shown})


@login_required
@require_http_methods(["POST"])
def book_refresh(request, key: str):
    """Fetch the book's details again (fields edited by hand are kept)."""
    record = _get_userbook_or_404(request.user, key)
    if not record.book.isbn13:
        messages.info(request, "Books without an ISBN have no details to fetch.")
    else:
        services.book_request_metadata(book_keys=[key])
        messages.info(request, "Fetching the details again…")
    return redirect(record)
