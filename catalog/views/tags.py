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
    }
    return render(request, "catalog/book_detail.html", context)
