"""A book's readings: read it again, edit or delete a reading, set the progress."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog import readings, records, services
from catalog.forms import UserBookForm
from catalog.models import UserBook
from catalog.reading_forms import ProgressForm, ReadingForm, prefix


def _record_or_404(user, key: str) -> UserBook:
    try:
        return UserBook.objects.get_for_user(user, key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None


def _back(record: UserBook):
    return redirect(f"{record.get_absolute_url()}#readings")


def book_readings_context(record: UserBook, **forms) -> dict:
    """What the book page shows of the readings: each with its form, progress."""
    bound = forms.get("reading_form")
    items = []
    for shown in record.readings_shown:
        reading = readings.find(record.reading_history, shown.id)
        form = (
            bound
            if bound is not None and bound.prefix == prefix(shown.id)
            else ReadingForm.for_reading(record, reading)
        )
        items.append({"reading": shown, "form": form, "open": form is bound})
    latest = readings.latest(record.reading_history)
    context = {
        "reading_items": items,
        "times_read": record.times_read,
        "can_read_again": not readings.is_open(latest),
    }
    if readings.is_open(latest):
        context["progress_form"] = forms.get("progress_form") or (
            ProgressForm.for_record(record)
        )
    return context


def _detail_again(request, record: UserBook, **forms):
    """The book page again, with the reader's reading form as they typed it."""
    from catalog.views import loans, tags

    context = {
        "record": record,
        "book": record.shown,
        "form": UserBookForm.for_record(record),
        "changed_elsewhere": records.elsewhere_message(record, []),
        **loans.book_loans_context(request.user, record),
        **tags.book_tags_context(record),
        **book_readings_context(record, **forms),
    }
    return render(request, "catalog/book_detail.html", context, status=400)


@login_required
@require_POST
def book_read_again(request, key: str):
    """Start a new reading of the book today."""
    record = _record_or_404(request.user, key)
    try:
        saved = services.userbook_read_again(user=request.user, book_key=key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(record)
    if saved.version == record.version:
        messages.info(request, "You are reading it already.")
    else:
        messages.success(request, "A new reading starts today.")
    return _back(saved)


@login_required
@require_POST
def book_reading(request, key: str, reading_id: int):
    """Save or delete one reading of the book."""
    record = _record_or_404(request.user, key)
    form = ReadingForm(request.POST, prefix=prefix(reading_id))
    token = request.POST.get(f"{prefix(reading_id)}-loaded", "")
    try:
        loaded = services.reading_unsign(
            token, user_id=request.user.pk, book_key=key, reading_id=reading_id
        )
    except records.BadSnapshot:
        loaded = None
    if request.POST.get("action") == "delete":
        return _delete(request, record, reading_id, loaded)
    if not form.is_valid():
        return _detail_again(request, record, reading_form=form)
    try:
        saved = services.userbook_reading_update(
            user=request.user,
            book_key=key,
            reading_id=reading_id,
            loaded=loaded,
            changes=form.changes(),
        )
    except services.ReadingConflict as exc:
        form.add_error(None, _conflict_message(exc))
        return _detail_again(request, exc.current, reading_form=form)
    except services.ReadingGone as exc:
        messages.warning(request, str(exc))
        return _back(exc.current)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _detail_again(request, record, reading_form=form)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    messages.success(request, "Reading saved.")
    return _back(saved)


def _conflict_message(exc: services.ReadingConflict) -> str:
    parts = [
        f"{_NAMES[name]} (now {_describe(name, stored)})"
        for name, (stored, _) in exc.conflicts.items()
    ]
    return (
        f"Changed in another tab or device: {', '.join(parts)}. Your values are "
        "kept below: save again to use them."
    )


_NAMES = {"started_on": "start date", "finished_on": "finish date"}
_NAMES["outcome"] = "how it ended"


def _describe(name: str, value) -> str:
    if name == "outcome":
        return str(readings.OUTCOMES.get(value, value)).lower()
    return records.describe(name, value)


def _delete(request, record: UserBook, reading_id: int, loaded):
    try:
        saved = services.userbook_reading_delete(
            user=request.user,
            book_key=record.book_id,
            reading_id=reading_id,
            loaded=loaded,
        )
    except services.ReadingConflict as exc:
        messages.warning(
            request,
            "That reading was changed in another tab or device, so it was not "
            "deleted: here it is as it is now.",
        )
        return _back(exc.current)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    messages.success(request, "Reading deleted.")
    return _back(saved)


@login_required
@require_POST
def book_progress(request, key: str):
    """Set how far into the current reading, as a page or a percent."""
    record = _record_or_404(request.user, key)
    form = ProgressForm(request.POST, prefix="progress")
    if not form.is_valid():
        return _detail_again(request, record, progress_form=form)
    try:
        saved = services.userbook_set_progress(
            user=request.user,
            book_key=key,
            progress=form.cleaned_data["progress"],
            reading_id=form.cleaned_data["reading"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _detail_again(request, record, progress_form=form)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    shown = saved.progress
    messages.success(
        request, f"Progress: {shown.text}." if shown else "Progress cleared."
    )
    return _back(saved)
