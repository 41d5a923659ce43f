"""A reader's own corrections of a book's details (``catalog.services.corrections``)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import services
from catalog.backends.base import StaleEdit
from catalog.forms import CorrectionsForm
from catalog.models import UserBook
from catalog.views.library import _get_userbook_or_404


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_correct(request, key: str):
    """The reader's own corrections of a book's details, shown only to them."""
    record = _get_userbook_or_404(request.user, key)
    conflicts = {}
    if request.method == "POST":
        form = CorrectionsForm(request.POST, record=record)
        if form.is_valid():
            try:
                done = services.userbook_correct(
                    user=request.user,
                    book_key=key,
                    version=form.cleaned_data["version"],
                    loaded=form.cleaned_data["loaded"],
                    corrections=form.corrections(),
                )
            except ValidationError as exc:
                # A refusal of a field the form lacks (the notes) goes on top.
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            except (services.CorrectionConflict, StaleEdit) as exc:
                conflicts = getattr(exc, "conflicts", {})
                record = exc.current
                form = _rebase_corrections(form, record)
            except UserBook.DoesNotExist:
                messages.warning(request, "That book was removed from your library.")
                return redirect("catalog:book-list")
            else:
                _corrected_message(request, done)
                return redirect(record)
    else:
        form = CorrectionsForm(record=record)
    context = {
        "record": record,
        "book": record.shown,
        "corrections_form": form,
        "conflicts": _conflict_rows(form, conflicts),
    }
    return render(request, "catalog/book_correct.html", context)


def _corrected_message(request, done: services.Corrected) -> None:
    text = "Saved your corrections; only you see them."
    if done.changed_elsewhere:
        labels = ", ".join(_label(name) for name in done.changed_elsewhere)
        text += f" Also kept what was changed elsewhere: {labels}."
    messages.success(request, text)


def _label(name: str) -> str:
    return CorrectionsForm.base_fields[name].label or name.replace("_", " ").title()


def _conflict_rows(form: CorrectionsForm, conflicts: dict) -> list[dict]:
    """Each field changed here and elsewhere: both values, for the reader to choose."""
    rows = []
    for name, (stored, mine) in conflicts.items():
        field = form.fields[name]
        rows.append(
            {
                "label": _label(name),
                "stored": field.prepare_value(stored) or "(the fetched value)",
                "mine": field.prepare_value(mine) or "(the fetched value)",
            }
        )
    return rows


def _rebase_corrections(form: CorrectionsForm, current: UserBook) -> CorrectionsForm:
    """Keep the fields the reader changed; take the rest as stored now."""
    data = form.data.copy()
    fresh = CorrectionsForm(record=current)
    for name in CorrectionsForm.correctable():
        bound = fresh[name]
        value = bound.field.prepare_value(bound.initial)
        value = "" if value is None else str(value)
        data[bound.html_initial_name] = value
        if name not in form.changed_data:
            data[bound.html_name] = value
    data[fresh["version"].html_name] = current.version
    data[fresh["loaded"].html_name] = json.dumps(current.corrections or {})
    rebased = CorrectionsForm(data, record=current)
    rebased.is_valid()
    return rebased
