"""The form for a reader's record of a book: every value round-trips unchanged.

It shows what is stored exactly (a 5-star rating selects "5 stars"), carries a
signed snapshot of what it was loaded with so that a stale edit merges rather
than overwrites, and, when both sides changed a field, asks which to keep.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from catalog import records
from catalog.models import ReadingStatus

KEEP_STORED, KEEP_MINE, KEEP_BOTH = "stored", "mine", "both"

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _keep_choices(name: str) -> list[tuple[str, str]]:
    choices = [
        (KEEP_STORED, "Keep what is stored now"),
        (KEEP_MINE, "Use yours, from this page"),
    ]
    if name == "notes":
        choices.append((KEEP_BOTH, "Keep both: the stored notes, then yours"))
    return choices


class RatingField(forms.TypedChoiceField):
    """A rating in half stars; a stored 5, 5.0 or 5.00 shows as the 5-star option."""

    def __init__(self, **kwargs):
        choices = [("", "No rating")] + [
            (records.rating_text(value), records.stars(value))
            for value in records.RATINGS
        ]
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "Choose a rating from 0.5 to 5 stars, in half stars."},
        )
        super().__init__(
            choices=choices, coerce=Decimal, empty_value=None, required=False, **kwargs
        )

    def prepare_value(self, value):
        return records.rating_text(value)

    def to_python(self, value):
        return records.rating_text(super().to_python(value))


class UserBookForm(forms.Form):
    """Edit one's own record of a book.

    The form carries a signed snapshot of the values it was loaded with
    (``loaded``), so the service can merge a stale edit instead of
    overwriting; ``version`` alone is the fallback. When a stale edit changed
    fields changed elsewhere too, the form is shown again with those fields
    to settle: ``choose_<field>`` keeps the stored value or the reader's.
    """

    status = forms.ChoiceField(choices=ReadingStatus.choices)
    rating = RatingField()
    started_on = forms.DateField(required=False, widget=_DATE)
    finished_on = forms.DateField(required=False, widget=_DATE)
    location = forms.CharField(
        required=False,
        # Suggests the reader's locations (templates/includes/location_datalist.html).
        widget=forms.TextInput(attrs={"list": "reader-locations"}),
        help_text=f"Where it stands, e.g. Study, shelf 2 (up to "
        f"{records.LOCATION_MAX_CHARS} characters).",
    )
    owned = forms.BooleanField(
        required=False, label="I own this book (untick for wishlist)"
    )
    notes = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Up to {records.NOTES_MAX_CHARS:,} characters.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, user_id: int, book_key: str, **kwargs):
        super().__init__(data, **kwargs)
        self.user_id, self.book_key = user_id, book_key
        source = self.data if self.is_bound else self.initial
        token = source.get("loaded")
        self.snapshot = self._unsign(token)
        for name in self.conflicts:
            self.fields[name].widget = forms.HiddenInput()
            self.fields[f"choose_{name}"] = forms.ChoiceField(
                choices=_keep_choices(name),
                widget=forms.RadioSelect,
                error_messages={"required": "Choose which to keep."},
            )

    @classmethod
    def for_record(cls, record) -> "UserBookForm":
        """The form for a record as stored."""
        values = records.values(record)
        return cls.for_values(record, values, records.Snapshot(record.version, values))

    @classmethod
    def for_values(cls, record, values: dict, snapshot: records.Snapshot):
        """A form showing ``values`` over the stored ``record`` (``snapshot``)."""
        token = records.sign(snapshot, user_id=record.user_id, book_key=record.book_id)
        initial = {**values, "version": snapshot.version, "loaded": token}
        return cls(user_id=record.user_id, book_key=record.book_id, initial=initial)

    def _unsign(self, token: str | None) -> records.Snapshot | None:
        if not token:
            return None
        try:
            return records.unsign(token, user_id=self.user_id, book_key=self.book_key)
        except records.BadSnapshot:
            # Not this record's: the version alone guards the edit then.
            return None

    @property
    def conflicts(self) -> tuple[str, ...]:
        return self.snapshot.conflicts if self.snapshot else ()

    def clean(self):
        data = super().clean()
        if not self.snapshot and data.get("version") is None:
            raise ValidationError(
                "This page is out of date: reload it and make your change again.",
                code="not_loaded",
            )
        for name in self.conflicts:
            keep = data.get(f"choose_{name}")
            stored, mine = self.snapshot.values[name], data.get(name)
            if keep == KEEP_STORED:
                data[name] = stored
            elif keep == KEEP_BOTH:
                data[name] = "\n\n".join(part for part in (stored, mine) if part)
        return data

    @property
    def loaded_version(self) -> int:
        return self.snapshot.version if self.snapshot else self.cleaned_data["version"]

    @property
    def loaded_values(self) -> dict | None:
        return self.snapshot.values if self.snapshot else None

    def changes(self) -> dict:
        """The record's values as submitted (the service writes what changed)."""
        return {name: self.cleaned_data[name] for name in records.FIELDS}

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the service's refusals next to their fields."""
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)

    def record_fields(self) -> list:
        """The visible fields of the record, in order (the choices come apart)."""
        return [self[name] for name in records.FIELDS if name not in self.conflicts]

    def conflict_prompt(self) -> str:
        """Ask the reader to settle the fields both sides changed."""
        names = [records.NAMES[name] for name in self.conflicts]
        if not names:
            return ""
        both = " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))
        return (
            f"You changed {both} too: choose below which to keep, then save. "
            "Nothing is saved until then; your other changes are kept in the form."
        )

    def conflict_rows(self) -> list[dict]:
        """Each field to settle: its stored value and the reader's, side by side."""
        return [self._conflict_row(name) for name in self.conflicts]

    def _conflict_row(self, name: str) -> dict:
        choice = self[f"choose_{name}"]
        stored = self.snapshot.values[name]
        texts = {
            KEEP_STORED: records.describe(name, stored),
            KEEP_MINE: records.describe(name, self._shown_value(name)),
        }
        options = [
            {
                "value": value,
                "title": title,
                "text": texts.get(value, ""),
                "checked": choice.value() == value,
                "id": f"{choice.auto_id}_{value}",
            }
            for value, title in choice.field.choices
        ]
        errors = [*choice.errors, *self[name].errors]
        return {
            "name": name,
            "label": self[name].label,
            "field": choice,
            "options": options,
            "errors": errors,
            "long": name == "notes",
        }

    def _shown_value(self, name: str):
        field, bound = self.fields[name], self[name]
        if not self.is_bound:
            return bound.initial
        try:
            return field.clean(bound.data)
        except ValidationError:
            # Not a value the form offers (an altered page): show none.
            return None
