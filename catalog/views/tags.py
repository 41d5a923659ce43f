"""A reader's tags: on one book's page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog import records, services
from catalog import tags as tagging
from catalog.forms import UserBookForm
from catalog.models import UserBook
from catalog.views.listing import _back as back_to_library
from catalog.views.listing import book_names, books_count, missing_message
from catalog.views.readings import book_readings_context

# A message names the books changed when there are this many or fewer.
_NAMED = 3

# Room for every tag a book may have, at its longest, with its comma.
TAGS_INPUT_MAX = tagging.MAX_TAGS * (tagging.TAG_MAX_CHARS + 2)


class BookTagsForm(forms.Form):
    """One book's tags, typed with commas between them."""

    tags = forms.CharField(
        required=False,
        max_length=TAGS_INPUT_MAX,
        label="Tags",
        help_text=(
            "Separate tags with commas. Up to "
            f"{tagging.MAX_TAGS} tags of {tagging.TAG_MAX_CHARS} characters."
        ),
    )
    # The tags as the page showed them: what the reader added and removed is
    # applied to the book as it is now.
    loaded = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"id": "id_tags_loaded"})
    )

    @classmethod
    def for_record(cls, record: UserBook) -> "BookTagsForm":
        shown = ", ".join(record.tags)
        return cls(initial={"tags": shown, "loaded": shown})


def book_tags_context(record: UserBook, form: BookTagsForm | None = None) -> dict:
    """What the book page's tags form needs."""
    return {"tags_form": form or BookTagsForm.for_record(record)}


@login_required
@require_POST
def book_tags(request, key: str):
    """Save one book's tags; a refusal shows the book page with what was typed."""
    try:
        record = UserBook.objects.get_for_user(request.user, key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    form = BookTagsForm(request.POST)
    if form.is_valid():
        try:
            services.userbook_set_tags(
                user=request.user,
                book_key=key,
                tags=form.cleaned_data["tags"],
                loaded=tagging.split(form.cleaned_data["loaded"]),
            )
        except ValidationError as exc:
            form.add_error("tags", exc.message_dict.get("tags", exc.messages))
        except UserBook.DoesNotExist:
            messages.warning(request, "That book was removed from your library.")
            return redirect("catalog:book-list")
        else:
            messages.success(request, "Tags saved.")
            return redirect(f"{record.get_absolute_url()}#tags")
    context = {
        "record": record,
        "book": record.shown,
        "form": UserBookForm.for_record(record),
        "changed_elsewhere": records.elsewhere_message(record, []),
        **book_tags_context(record, form),
        **book_readings_context(record),
    }
    return render(request, "catalog/book_detail.html", context)


def tag_messages(
    result: services.BulkTagResult, tag: str, adding: bool
) -> list[tuple[int, str]]:
    """The messages that tell the reader what a bulk tag change did."""
    said = []
    if result.changed:
        done = "Tagged" if adding else "Took the tag off"
        text = f"{done} {books_count(len(result.changed))}"
        text += f" with “{tag}”" if adding else f" “{tag}”"
        if len(result.changed) <= _NAMED:
            text += f": {book_names(result.changed)}"
        said.append((messages.SUCCESS, text + "."))
    if result.unchanged:
        were = "was" if len(result.unchanged) == 1 else "were"
        state = "tagged so already" if adding else "without that tag already"
        count = books_count(len(result.unchanged))
        said.append((messages.INFO, f"{count} {were} {state}."))
    if result.missing:
        said.append(missing_message(result.missing))
    if result.skipped:
        said.append(
            (
                messages.WARNING,
                f"Not tagged: {book_names(result.skipped)} (at most {tagging.MAX_TAGS} "
                "tags a book, or changed elsewhere meanwhile).",
            )
        )
    return said


@login_required
@require_POST
def books_tag(request):
    """Add a tag to, or take it off, the books selected on the library page."""
    keys = request.POST.getlist("keys")
    tag = tagging.tidy(request.POST.get("tag", ""))
    adding = request.POST.get("action") != "remove"
    if not keys:
        messages.warning(request, "Select some books first, then tag them.")
        return back_to_library(request)
    change = {"add": [tag]} if adding else {"remove": [tag]}
    try:
        result = services.userbooks_tag(user=request.user, book_keys=keys, **change)
    except ValidationError as exc:
        text = " ".join(exc.messages)
        messages.error(request, f"Nothing was tagged: {text}")
        return back_to_library(request)
    for level, text in tag_messages(result, tag, adding):
        messages.add_message(request, level, text)
    return back_to_library(request)
