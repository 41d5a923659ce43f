"""A reader's locations: how many books stand at each, and renaming one."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import locations, records, services
from catalog.models import UserBook
from catalog.views.listing import books_count, location_url
from catalog.views.tag_page import job_context


class RenameLocationForm(forms.Form):
    """One location's new name (renaming to one in use merges the two)."""

    old = forms.CharField(
        max_length=records.LOCATION_MAX_CHARS, widget=forms.HiddenInput
    )
    new = forms.CharField(
        max_length=records.LOCATION_MAX_CHARS,
        label="New name",
        strip=False,
    )


def location_suggestions(user) -> dict:
    """The reader's locations a location field suggests (one read at most)."""
    counted = UserBook.objects.location_counts(user, reads=1)
    return {"reader_locations": [shown for shown, _, _ in counted.locations]}


def _rows(user, refused: RenameLocationForm | None) -> tuple[list[dict], bool]:
    """Each location with its count, address and rename form; whether complete."""
    counted = UserBook.objects.location_counts(user)
    refused_key = (
        locations.location_key(refused.data.get("old", "")) if refused else None
    )
    rows = []
    for shown, key, count in counted.locations:
        form = (
            refused
            if key == refused_key
            else RenameLocationForm(
                initial={"old": shown, "new": shown}, auto_id=f"id_l{len(rows)}_%s"
            )
        )
        rows.append(
            {
                "location": shown,
                "count": count,
                "books": books_count(count),
                "url": location_url(shown),
                "form": form,
            }
        )
    return rows, counted.complete


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def locations_page(request):
    """The reader's locations with their counts; POST renames one of them."""
    refused = None
    if request.method == "POST":
        form = RenameLocationForm(request.POST)
        if form.is_valid():
            try:
                result = services.location_rename(
                    user=request.user,
                    old=form.cleaned_data["old"],
                    new=form.cleaned_data["new"],
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                if result.job:
                    messages.info(
                        request,
                        f"The books at “{result.job.old}” move to "
                        f"“{result.job.new}” in the background, and this page "
                        "shows how far it got.",
                    )
                    return redirect("catalog:locations")
                text = (
                    f"Moved {books_count(len(result.changed))} to “{result.location}”."
                    if result.changed
                    else f"No book changed: they are at “{result.location}” already."
                )
                messages.success(request, text)
                if result.skipped:
                    messages.warning(
                        request,
                        f"{books_count(len(result.skipped))} changed elsewhere "
                        "meanwhile and kept their location; try again.",
                    )
                return redirect("catalog:locations")
        refused = form
    rows, complete = _rows(request.user, refused)
    context = {
        "rows": rows,
        "complete": complete,
        "refused": refused,
        # A refused rename of a location no longer listed is shown on its own.
        "refused_alone": refused is not None
        and all(row["form"] is not refused for row in rows),
        "max_chars": records.LOCATION_MAX_CHARS,
        "rename_max": locations.RENAME_MAX_RECORDS,
        **job_context(request.user),
    }
    return render(request, "catalog/locations.html", context)
