"""Ways to add books beyond typing an ISBN: search, photo, camera, USB scanner."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from booklibrary.csp import allow_webassembly
from catalog import barcodes, metadata, services
from catalog import isbn as isbn_tools
from catalog.backends.base import AlreadyInLibrary
from catalog.forms import PhotoForm, ScannerForm
from catalog.metadata.openlibrary import LABEL as SEARCH_LABEL
from catalog.models import Book, ReadingStatus, UserBook
from catalog.views import added
from catalog.views.found import candidates


@login_required
@require_safe
def search(request):
    """Find a book by title or author on Open Library and pick an edition."""
    query = request.GET.get("q", "").strip()[:200]
    hits, error = [], None
    if query:
        try:
            hits = metadata.search(query, limit=12)
        except metadata.ProviderError as exc:
            error = _search_failed(exc)
    keys = [isbn for hit in hits for isbn in hit.isbns]
    owned = UserBook.objects.for_keys(request.user, keys)
    context = {"query": query, "hits": hits, "error": error, "owned": owned}
    return render(request, "catalog/add_search.html", context)


def _search_failed(exc: metadata.ProviderError) -> str:
    """What to tell someone whose search the provider did not answer."""
    if exc.transient:
        # Slow, down or rate-limiting: the search is bounded by a deadline
        # (METADATA_SEARCH_DEADLINE_SECONDS), so the page answers regardless.
        return (
            f"{SEARCH_LABEL} is not answering right now; try again in a minute "
            "or add the book by its ISBN."
        )
    return (
        f"{SEARCH_LABEL} could not run this search ({exc}). Try other words, or "
        "add the book by its ISBN."
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def add_by_photo(request):
    """Read the ISBN barcodes in an uploaded photo and offer the books found."""
    form = PhotoForm(request.POST or None, request.FILES or None)
    found = None
    if request.method == "POST" and form.is_valid():
        try:
            found = barcodes.decode_isbns(form.cleaned_data["photo"])
        except barcodes.BarcodeError as exc:
            form.add_error("photo", str(exc))
    context = {"form": form, "found": found, "books": []}
    if found is not None and found.isbns:
        books = services.books_lookup(isbns=found.isbns)
        context["books"] = candidates(request.user, found.isbns, books)
        context["keys"] = ",".join(found.isbns)
        context["unowned"] = [item for item in context["books"] if not item["owned"]]
    return render(request, "catalog/add_photo.html", context)


@login_required
@require_safe
@allow_webassembly
def add_by_camera(request):
    """Scan barcodes with the device camera; each book read is added in place."""
    return render(
        request, "catalog/add_camera.html", {"statuses": ReadingStatus.choices}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def add_by_scanner(request):
    """Scanner mode: a USB scanner types an ISBN and Enter; each one is added."""
    form = ScannerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        isbn = form.cleaned_data["isbn"]
        try:
            record = services.userbook_add(
                user=request.user, isbn=isbn, status=form.cleaned_data["status"]
            )
        except AlreadyInLibrary as exc:
            messages.warning(request, added.already(exc.existing))
        else:
            messages.success(request, added.added(record))
        url = reverse("catalog:add-scanner")
        return redirect(f"{url}?status={form.cleaned_data['status']}")
    if request.method == "GET":
        form = ScannerForm(initial={"status": request.GET.get("status", "want")})
    recent = UserBook.objects.page_for_user(request.user, sort="added", limit=10).items
    return render(request, "catalog/add_scanner.html", {"form": form, "recent": recent})


@login_required
@require_http_methods(["POST"])
def add_many(request):
    """Add the ISBNs posted (from a photo, a search or the camera queue)."""
    isbns = [i for i in request.POST.getlist("isbns") if i.strip()]
    status = request.POST.get("status") or "want"
    if not isbns:
        messages.warning(request, "Choose at least one book to add.")
        return redirect(_back(request))
    try:
        result = services.userbook_add_many(
            user=request.user, isbns=isbns, status=status, shown=_shown(request, isbns)
        )
    except ValidationError as exc:
        reasons = " ".join(m for ms in exc.message_dict.values() for m in ms)
        messages.error(request, f"Nothing was added. {reasons}")
        return redirect(_back(request))
    if result.added:
        messages.success(request, added.added_many(result.added))
    if result.already:
        messages.info(request, added.already_many(result.already))
    for raw, reason in result.invalid:
        messages.error(request, f"{_shorten(raw)}: {reason}")
    if len(result.added) == 1 and not (result.already or result.invalid):
        return redirect(result.added[0])
    return redirect("catalog:book-list")


def _shown(request, isbns: list[str]) -> dict[str, dict]:
    """What the search result showed of the one edition picked (title, authors)."""
    if len(isbns) != 1 or not request.POST.get("shown_title"):
        return {}
    return {
        isbns[0]: {
            "title": request.POST.get("shown_title", ""),
            "subtitle": request.POST.get("shown_subtitle", ""),
            "authors": request.POST.getlist("shown_authors"),
        }
    }


def _shorten(text: str, limit: int = 40) -> str:
    # Echoed back in a message (kept in the session): never a whole pasted page.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _back(request) -> str:
    target = request.POST.get("next", "")
    # A path only: redirect() would take any other word for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}
    ):
        return target
    return reverse("catalog:book-add")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_lookup(request):
    """JSON for one scanned ISBN: its title as soon as known, and if it is owned.

    POST (the camera's first look at an ISBN) stores the edition and asks for
    its details; GET (the polling that follows) only reads what is known.
    """
    raw = (request.POST if request.method == "POST" else request.GET).get("isbn", "")
    try:
        if request.method == "POST":
            book = services.book_lookup(isbn=raw)
        else:
            book = Book.objects.get_by_key(isbn_tools.to_isbn13(raw))
    except isbn_tools.InvalidISBN as exc:
        return JsonResponse({"isbn": _shorten(raw), "error": str(exc)}, status=400)
    except Book.DoesNotExist:
        return JsonResponse(
            {"isbn": isbn_tools.to_isbn13(raw), "error": "Not looked up yet."},
            status=404,
        )
    owned = UserBook.objects.for_keys(request.user, [book.pk])
    return JsonResponse(
        {
            "isbn": book.isbn13,
            "status": book.metadata_status,
            "trouble": book.metadata_trouble,
            "title": book.title,
            "authors": book.authors,
            "owned": book.pk in owned,
            "url": owned[book.pk].get_absolute_url() if book.pk in owned else None,
        }
    )
