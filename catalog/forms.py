"""Catalog forms. They validate input; the services do the writing."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings

from catalog import isbn as isbn_tools
from catalog.barcodes import BarcodeError
from catalog.barcodes import images as photo_images
from catalog.models import RATING_CHOICES, ReadingStatus, UserBook


class IsbnField(forms.CharField):
    """An ISBN-10 or ISBN-13 typed any way; cleans to the ISBN-13."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", "ISBN")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        return attrs

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        try:
            return isbn_tools.to_isbn13(value)
        except isbn_tools.InvalidISBN as exc:
            raise forms.ValidationError(str(exc), code="invalid_isbn") from exc


class ShelfFieldsMixin(forms.Form):
    """Where the new book goes: status, owned or wishlist, shelf."""

    status = forms.ChoiceField(choices=ReadingStatus.choices, initial="want")
    owned = forms.BooleanField(
        required=False, initial=True, label="I own this book (untick for wishlist)"
    )
    location = forms.CharField(
        max_length=200,
        required=False,
        help_text="Where it stands, e.g. Study, shelf 2.",
    )


class AddByIsbnForm(ShelfFieldsMixin):
    """Add a book by its ISBN."""

    isbn = IsbnField(
        help_text="10 or 13 digits from the back cover or the barcode; "
        "hyphens and spaces are fine.",
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "978…"}),
    )
    field_order = ["isbn", "status", "owned", "location"]


def clean_cover_photo(upload):
    """Return an uploaded cover photo as an upright RGB image, or a clear error."""
    try:
        raw = photo_images.read_upload(upload, settings.BARCODE_MAX_UPLOAD_BYTES)
        return photo_images.open_rgb(
            raw,
            getattr(
                settings, "BARCODE_MAX_IMAGE_PIXELS", photo_images.DEFAULT_MAX_PIXELS
            ),
        )
    except BarcodeError as exc:
        raise forms.ValidationError(str(exc), code="photo") from None


class CoverPhotoField(forms.FileField):
    """A photo of the book's cover: checked, opened upright, handed on as an image."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Cover photo")
        kwargs.setdefault("help_text", "A photo of the front cover (JPEG or PNG).")
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(
                attrs={"accept": "image/*", "capture": "environment"}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        return clean_cover_photo(upload) if upload else None


class CoverPhotoForm(forms.Form):
    """Your own photo as the cover of a book without one."""

    photo = CoverPhotoField()


def _split_authors(text: str) -> list[str]:
    return [name.strip() for name in re.split(r"[;\n]+", text or "") if name.strip()]


# Limits that keep a record or a book well inside DynamoDB's 400 KB per item.
AUTHORS_MAX = 50
AUTHOR_MAX_LENGTH = 300
NOTES_MAX_LENGTH = 20_000


def validate_authors(authors: list[str]) -> None:
    """Refuse more authors, or longer names, than any book has."""
    if len(authors) > AUTHORS_MAX:
        raise forms.ValidationError(
            f"Up to {AUTHORS_MAX} authors, please; this has {len(authors)}.",
            code="too_many_authors",
        )
    for name in authors:
        if len(name) > AUTHOR_MAX_LENGTH:
            raise forms.ValidationError(
                f"An author's name has at most {AUTHOR_MAX_LENGTH} characters; "
                f"one here has {len(name)}. One name per line, please.",
                code="author_too_long",
            )


class ManualBookForm(ShelfFieldsMixin):
    """Add a book by hand, for books without an ISBN or not found online."""

    title = forms.CharField(max_length=500)
    subtitle = forms.CharField(max_length=500, required=False)
    authors = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line (or separated by semicolons).",
    )
    isbn = IsbnField(required=False, help_text="Leave empty if the book has none.")
    publisher = forms.CharField(max_length=300, required=False)
    publish_date = forms.CharField(
        max_length=50,
        required=False,
        label="Published",
        help_text="e.g. 1979 or May 2004.",
    )
    pages = forms.IntegerField(required=False, min_value=1, max_value=100000)
    language = forms.CharField(max_length=20, required=False)
    cover_photo = CoverPhotoField(required=False)
    field_order = [
        "title",
        "subtitle",
        "authors",
        "isbn",
        "publisher",
        "publish_date",
        "pages",
        "language",
        "cover_photo",
        "status",
        "owned",
        "location",
    ]

    def clean_authors(self) -> list[str]:
        authors = _split_authors(self.cleaned_data.get("authors", ""))
        validate_authors(authors)
        return authors

    def book_fields(self) -> dict:
        keys = ("title", "subtitle", "authors", "publisher", "publish_date")
        fields = {k: self.cleaned_data[k] for k in keys}
        fields.update(
            pages=self.cleaned_data["pages"], language=self.cleaned_data["language"]
        )
        return fields


class UserBookForm(forms.ModelForm):
    """Edit one's own record of a book; ``version`` guards against stale edits."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    rating = forms.TypedChoiceField(
        choices=[("", "No rating")] + [(str(v), label) for v, label in RATING_CHOICES],
        coerce=Decimal,
        empty_value=None,
        required=False,
    )
    notes = forms.CharField(
        max_length=NOTES_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = UserBook
        fields = [
            "status",
            "rating",
            "started_on",
            "finished_on",
            "location",
            "owned",
            "notes",
            "version",
        ]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "finished_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"owned": "I own this book (untick for wishlist)"}

    def clean(self):
        data = super().clean()
        started, finished = data.get("started_on"), data.get("finished_on")
        if started and finished and finished < started:
            self.add_error("finished_on", "The finish date is before the start date.")
        return data

    def _post_clean(self):
        # The service validates and writes; skip ModelForm's instance checks,
        # which would query for uniqueness the backend already guarantees.
        pass

    def changes(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class PhotoForm(forms.Form):
    """A photo of one or more barcodes."""

    photo = forms.FileField(
        label="Photo of the barcode",
        help_text="JPEG or PNG; several barcodes in one photo are fine.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*", "capture": "environment"}
        ),
    )


class ScannerForm(forms.Form):
    """Scanner mode: a USB barcode scanner types the ISBN, then Enter."""

    isbn = IsbnField(
        label="Scan or type an ISBN",
        widget=forms.TextInput(attrs={"autofocus": True, "enterkeyhint": "done"}),
    )
    status = forms.ChoiceField(choices=ReadingStatus.choices, initial="want")
