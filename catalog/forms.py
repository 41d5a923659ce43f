"""Catalog forms. They validate input; the services do the writing."""

import re

from django import forms
from django.conf import settings

from catalog import isbn as isbn_tools
from catalog.barcodes import BarcodeError
from catalog.barcodes import images as photo_images
from catalog.models import ReadingStatus, UserBook
from catalog.record_form import UserBookForm
from catalog.services.corrections import validate_authors
from catalog.services.limits import PAGES_RANGE, TEXT_LIMITS

__all__ = [
    "AddByIsbnForm",
    "CoverPhotoForm",
    "ManualBookForm",
    "PhotoForm",
    "ScannerForm",
    "UserBookForm",
]


class IsbnField(forms.CharField):
    """An ISBN-10 or ISBN-13 typed any way; cleans to the ISBN-13."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", "ISBN")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # An ISBN-10 may end in X: a text keyboard, capitals, no corrections.
        attrs.update(
            {
                "inputmode": "text",
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        )
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
        # Suggests the reader's locations (templates/includes/location_datalist.html).
        widget=forms.TextInput(attrs={"list": "reader-locations"}),
        help_text="Where it stands, e.g. Study, shelf 2.",
    )


class AddByIsbnForm(ShelfFieldsMixin):
    """Add a book by its ISBN."""

    isbn = IsbnField(
        help_text="10 or 13 digits from the back cover or the barcode (an "
        "older ISBN may end in X); hyphens and spaces are fine.",
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


class ManualBookForm(ShelfFieldsMixin):
    """Add a book by hand, for books without an ISBN or not found online."""

    title = forms.CharField(max_length=TEXT_LIMITS["title"])
    subtitle = forms.CharField(max_length=TEXT_LIMITS["subtitle"], required=False)
    authors = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line (or separated by semicolons).",
    )
    isbn = IsbnField(required=False, help_text="Leave empty if the book has none.")
    publisher = forms.CharField(max_length=TEXT_LIMITS["publisher"], required=False)
    publish_date = forms.CharField(
        max_length=TEXT_LIMITS["publish_date"],
        required=False,
        label="Published",
        help_text="e.g. 1979 or May 2004.",
    )
    pages = forms.IntegerField(
        required=False, min_value=PAGES_RANGE[0], max_value=PAGES_RANGE[1]
    )
    language = forms.CharField(max_length=TEXT_LIMITS["language"], required=False)
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


class AuthorsField(forms.CharField):
    """Names one per line (or separated by semicolons); cleans to a list."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        return _split_authors(super().to_python(value))


class SeriesField(forms.CharField):
    """Series one per line ("Dune Chronicles #1"); cleans to a list of entries."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            from catalog.series import as_text

            return as_text(value)
        return value

    def to_python(self, value):
        from catalog.series import clean

        if isinstance(value, list | tuple):
            return clean(list(value))
        return clean(super().to_python(value))


class TextCorrectionField(forms.CharField):
    """Text whose line breaks compare equal however the browser sends them."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


class CorrectionsForm(forms.Form):
    """The reader's own corrections of a book's details (only they see them).

    Each field starts at what the reader sees now; only the fields they change
    become corrections, and an emptied field goes back to the fetched value.
    ``loaded`` carries the corrections the form started from, for merging.
    """

    title = TextCorrectionField(max_length=TEXT_LIMITS["title"], required=False)
    subtitle = TextCorrectionField(max_length=TEXT_LIMITS["subtitle"], required=False)
    authors = AuthorsField(
        required=False, help_text="One per line (or separated by semicolons)."
    )
    publisher = TextCorrectionField(max_length=TEXT_LIMITS["publisher"], required=False)
    publish_date = TextCorrectionField(
        max_length=TEXT_LIMITS["publish_date"],
        required=False,
        label="Published",
        help_text="e.g. 1979.",
    )
    pages = forms.IntegerField(
        required=False, min_value=PAGES_RANGE[0], max_value=PAGES_RANGE[1]
    )
    language = TextCorrectionField(max_length=TEXT_LIMITS["language"], required=False)
    description = TextCorrectionField(
        max_length=TEXT_LIMITS["description"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    series = SeriesField(
        required=False,
        help_text="One per line, the position after “#”: Dune Chronicles #1, "
        "#2.5 or #1-3.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    loaded = forms.JSONField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, record: UserBook, **kwargs):
        self.record = record
        shown = record.shown
        initial = {name: getattr(shown, name) for name in self.correctable()}
        initial.update(version=record.version, loaded=record.corrections or {})
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, prefix="fix", **kwargs)
        for name in self.correctable():
            field = self.fields[name]
            # The value shown when the form was loaded, to tell what changed.
            field.show_hidden_initial = True
            if record.corrections.get(name):
                field.help_text = " ".join(
                    filter(None, [field.help_text, "Your correction."])
                )

    @staticmethod
    def correctable() -> tuple[str, ...]:
        from catalog.shown import CORRECTABLE_FIELDS

        return CORRECTABLE_FIELDS

    def _clean_fields(self):
        super()._clean_fields()
        # A value the reader left as shown is no correction: a fetched value
        # over a limit must not stop them correcting another field.
        changed = set(self.changed_data)
        for name in self.correctable():
            if name not in changed and self._errors.pop(name, None):
                self.cleaned_data.pop(name, None)

    def clean_loaded(self):
        loaded = self.cleaned_data.get("loaded") or {}
        if not isinstance(loaded, dict):
            return {}
        return {k: v for k, v in loaded.items() if k in self.correctable()}

    def corrections(self) -> dict:
        """The corrections map submitted: loaded ones, with the changed fields."""
        loaded = self.cleaned_data["loaded"]
        submitted = {n: loaded.get(n) for n in self.correctable()}
        book = self.record.book
        for name in self.changed_data:
            if name not in submitted:
                continue
            value = self.cleaned_data[name]
            # Typing the fetched value back (or nothing) drops the correction.
            submitted[name] = None if value == getattr(book, name) else value
        return submitted
