"""The admin's forms for books and records: the services' rules, on both backends.

A record's form checks what changed with ``catalog.records`` (the reader's
form's rules and messages) and refuses an edit of a record changed since the
page was opened; the admin then saves through ``services.userbook_update``.
A book's form keeps every field within the limits both backends can store.
"""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog import readings as reading_rules
from catalog import records, series
from catalog import tags as tagging
from catalog.models import Book, UserBook
from catalog.record_form import RatingField
from catalog.services.limits import (
    AUTHOR_LIMIT,
    AUTHORS_MAX,
    SUBJECT_LIMIT,
    SUBJECTS_MAX,
    TEXT_LIMITS,
)

STALE_MESSAGE = (
    "This record was changed since you opened it; reload to see the changes."
)

# A book's stored details, all fields together, as JSON text: three quarters of
# DynamoDB's 400 KB item, the rest left to attribute names and bookkeeping.
BOOK_MAX_BYTES = 300 * 1024


class UserBookAdminForm(forms.ModelForm):
    """A record's status, rating, notes, dates, location and ownership."""

    rating = RatingField()
    notes = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=f"Up to {records.NOTES_MAX_CHARS:,} characters.",
    )
    location = forms.CharField(
        required=False,
        help_text=f"Where the book stands (up to {records.LOCATION_MAX_CHARS} "
        "characters).",
    )
    tags = forms.CharField(
        required=False,
        max_length=tagging.MAX_TAGS * (tagging.TAG_MAX_CHARS + 2),
        help_text="The reader's tags, separated by commas.",
    )
    series_correction = forms.CharField(
        required=False,
        label="Series (the reader's correction)",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="One per line, the position after “#”: Dune Chronicles #1. "
        "Empty: the book's fetched series.",
    )
    readings = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="Every reading, oldest first: id, started_on and finished_on "
        '(YYYY-MM-DD or null), outcome ("reading", "finished" or "dnf"), '
        "progress_page, progress_percent. The status and dates follow the latest.",
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = UserBook
        fields = (*records.FIELDS, "readings")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loaded_version"].initial = self.instance.version
        # Shown as typed, with commas (not as the stored list).
        self.initial["tags"] = ", ".join(self.instance.tags or [])
        own = (self.instance.corrections or {}).get("series") or []
        self.initial["series_correction"] = series.as_text(own)
        # A record kept before readings existed shows the ones it stands for.
        self.initial["readings"] = self.instance.reading_history
        self.record_changes: dict[str, Any] = {}
        # The reader's series correction when it changes ([] clears it).
        self.series_change: list[dict[str, str]] | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("loaded_version") != self.instance.version:
            raise ValidationError(STALE_MESSAGE, code="stale")
        stored = records.values(self.instance)
        submitted = records.normalise(
            {name: data[name] for name in records.FIELDS if name in data}
        )
        # As the service: only what changes is checked.
        changes = {k: v for k, v in submitted.items() if v != stored[k]}
        if "tags" in data:
            typed = tagging.unique(tagging.split(data["tags"]))
            if typed != (self.instance.tags or []):
                changes["tags"] = typed
        self._clean_series(data.get("series_correction") or "")
        typed_readings = data.get("readings")
        if typed_readings is None:
            typed_readings = []
        if typed_readings != self.instance.reading_history:
            changes["readings"] = typed_readings
        try:
            if "readings" in changes:
                if not isinstance(typed_readings, list):
                    raise ValidationError({"readings": ["Give a list of readings."]})
                reading_rules.check(typed_readings, pages=None)
            changes = records.clean(changes)
            if {"started_on", "finished_on"} & set(changes):
                merged = {**stored, **changes}
                records.check_dates(merged["started_on"], merged["finished_on"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
            return data
        self.record_changes = changes
        return data

    def _clean_series(self, text: str) -> None:
        own = (self.instance.corrections or {}).get("series") or []
        try:
            typed = series.clean(text)
        except ValidationError as exc:
            self.add_error("series_correction", exc.messages)
            return
        if typed != own:
            self.series_change = typed

    def _post_clean(self) -> None:
        # The record is written by the service, not by ``instance.save()``: the
        # model's own checks (a SQL uniqueness query among them) are not asked.
        pass


class BookAdminForm(forms.ModelForm):
    """A book's details, each within the limits a reader's corrections have."""

    class Meta:
        model = Book
        fields = (
            "isbn13",
            "title",
            "subtitle",
            "authors",
            "publisher",
            "publish_date",
            "pages",
            "language",
            "description",
            "subjects",
            "series",
            "cover",
            "cover_thumb",
            "provider_ids",
            "metadata_status",
            "metadata_source",
            "metadata_error",
            "edited_fields",
        )
        # The admin puts a file field in a fieldset whose legend names it, which
        # does not label the input itself.
        widgets = {
            "cover": forms.ClearableFileInput(attrs={"aria-label": "Cover"}),
            "cover_thumb": forms.ClearableFileInput(
                attrs={"aria-label": "Cover thumbnail"}
            ),
        }

    # As the services: only what changes is checked, so a long description
    # fetched before these limits does not block an edit of the title.

    def clean_description(self) -> str:
        description = self.cleaned_data["description"]
        limit = TEXT_LIMITS["description"]
        if _text(description) == _text(self.instance.description):
            return self.instance.description
        if len(description) > limit:
            raise ValidationError(
                f"A description can be at most {limit:,} characters; this is "
                f"{len(description):,}. Shorten it and save again."
            )
        return description

    def clean_authors(self) -> list[str]:
        return self._names("authors", AUTHORS_MAX, AUTHOR_LIMIT)

    def clean_subjects(self) -> list[str]:
        return self._names("subjects", SUBJECTS_MAX, SUBJECT_LIMIT)

    def clean_series(self) -> list[dict[str, str]]:
        value = self.cleaned_data["series"]
        if value == self.instance.series:
            return value
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValidationError(
                'Give the series as a list, e.g. [{"name": "Discworld", '
                '"position": "4"}].'
            )
        return series.clean(value)

    def _names(self, name: str, most: int, longest: int) -> list[str]:
        value = self.cleaned_data[name]
        if value == getattr(self.instance, name):
            return value
        return _names(value, most, longest, name)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        size = _json_size(data)
        stored = _json_size({name: getattr(self.instance, name) for name in data})
        if size > BOOK_MAX_BYTES and size > stored:
            raise ValidationError(
                f"These details are too large to store ({size // 1024} KB; the "
                f"limit is {BOOK_MAX_BYTES // 1024} KB). Shorten the longest "
                "text, such as the description.",
                code="too_large",
            )
        return data


def _text(value: str | None) -> str:
    """Text to compare, as a text box sends it back (CRLF lines, spaces trimmed)."""
    return (value or "").replace("\r\n", "\n").strip()


def _json_size(values: dict[str, Any]) -> int:
    """The bytes of these values as JSON text, about what a store keeps of them."""
    return len(json.dumps(values, default=str, ensure_ascii=False).encode())


def _names(value: Any, most: int, longest: int, what: str) -> list[str]:
    """A list of names, as the JSON field gives it, within the limits."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise ValidationError(
            f'Give the {what} as a list of names, e.g. ["Ursula K. Le Guin"].'
        )
    names = [n.strip() for n in value if n.strip()]
    if len(names) > most:
        raise ValidationError(f"At most {most} {what}; this has {len(names):,}.")
    if any(len(n) > longest for n in names):
        raise ValidationError(f"Each of the {what} is at most {longest} characters.")
    return names
