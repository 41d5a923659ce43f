"""One tap: set a book's status, rating or progress from a card or its page.

Without JavaScript the controls are a plain form post that comes back to the
page it was sent from, with a message naming the book; the page's script sends
the same post in the background and gets JSON: the message and the controls
(or the whole card) as they are now, to swap in.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from catalog import records, services
from catalog.models import UserBook
from catalog.services.quick import QUICK_FIELDS

_FRAGMENTS = {
    "card": "includes/book_card.html",
    "page": "includes/quick_set.html",
}


def _posted_next(request) -> str | None:
    """The page the control was on, if it is a path on this site."""
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    if target.startswith(reverse("catalog:book-cards")):
        # A card refreshed in place: its page is the library.
        return reverse("catalog:book-list")
    return target


def _next_url(request, record: UserBook) -> str:
    """Where to go back to: the page the control was on, else the book's."""
    return _posted_next(request) or record.get_absolute_url()


def _title(record: UserBook) -> str:
    return f"“{record.shown.display_title}”"


def _said(record: UserBook, names: list[str]) -> str:
    """“Dune”: Reading, 3.5 stars."""
    parts = [records.describe(name, getattr(record, name)) for name in names]
    return f"{_title(record)}: {', '.join(parts)}."


def _conflict_message(exc: services.EditConflict) -> str:
    current = exc.current
    parts = [
        f"its {records.NAMES[name]} is now {records.describe(name, stored)}; "
        f"your choice ({records.describe(name, mine)}) was not saved"
        for name, (stored, mine) in exc.merge.conflicts.items()
    ]
    return (
        f"{_title(current)} was changed in another tab or device: "
        f"{'; '.join(parts)}. Choose again if you still want to change it."
    )


def _set_progress(request, key: str, record: UserBook) -> tuple[str, str, UserBook]:
    """Set the current reading's progress from a card (the reading it showed)."""
    shown = request.POST.get("reading", "")
    try:
        saved = services.userbook_set_progress(
            user=request.user,
            book_key=key,
            progress=request.POST.get("progress", ""),
            reading_id=int(shown) if shown.isdecimal() else None,
        )
    except ValidationError as exc:
        refusals = " ".join(m for ms in exc.message_dict.values() for m in ms)
        return "error", f"{_title(record)}: {refusals}", record
    progress = saved.progress
    said = progress.text if progress else "no progress set"
    return "success", f"{_title(saved)}: {said}.", saved


def _apply(request, key: str, record: UserBook) -> tuple[str, str, UserBook]:
    """Make the change; return (message level, message, the record as stored)."""
    posted = request.POST
    if "progress" in posted:
        return _set_progress(request, key, record)
    changes = {name: posted[name] for name in QUICK_FIELDS if name in posted}
    if not changes:
        return "warning", f"{_title(record)}: choose a status or a rating.", record
    try:
        loaded = services.quick_unsign(
            request.POST.get("loaded", ""), user_id=request.user.pk, book_key=key
        )
    except records.BadSnapshot:
        return (
            "error",
            "This page is out of date: reload it and make your change again.",
            record,
        )
    try:
        saved = services.userbook_quick_set(
            user=request.user, book_key=key, loaded=loaded, changes=changes
        )
    except services.EditConflict as exc:
        return "warning", _conflict_message(exc), exc.current
    except ValidationError as exc:
        refusals = " ".join(m for ms in exc.message_dict.values() for m in ms)
        return "error", f"{_title(record)}: {refusals}", record
    written = [
        name
        for name in QUICK_FIELDS
        if name in changes and getattr(saved, name) != getattr(record, name)
    ] or [name for name in QUICK_FIELDS if name in changes]
    message = _said(saved, written)
    elsewhere = records.elsewhere_message(saved, saved.changed_elsewhere)
    return "success", f"{message} {elsewhere}".strip(), saved


@require_POST
def book_set(request, key: str):
    """Set this book's status, rating or progress; go back (or answer the script)."""
    if not request.user.is_authenticated:
        # Signed out meanwhile: log in, then back to the page, not to this post.
        return redirect_to_login(_posted_next(request) or reverse("catalog:book-list"))
    try:
        record = UserBook.objects.get_for_user(request.user, key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    try:
        level, message, record = _apply(request, key, record)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    next_url = _next_url(request, record)
    if request.headers.get("X-Requested-With") == "fetch":
        fragment = _FRAGMENTS.get(request.POST.get("fragment", ""), _FRAGMENTS["page"])
        context = {"record": record, "quick_next": next_url}
        if level == "error" and "progress" in request.POST:
            # The card keeps the refused progress as typed, to correct it.
            context["progress_refused"] = request.POST["progress"]
        html = render_to_string(fragment, context, request=request)
        return JsonResponse(
            {
                "ok": level == "success",
                "level": level,
                "message": message,
                "html": html,
                "values": {
                    "status": record.status,
                    "rating": records.rating_text(record.rating),
                },
            }
        )
    getattr(messages, level)(request, message)
    return HttpResponseRedirect(next_url)
