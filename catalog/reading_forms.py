"""Forms for a book's readings and the progress of the current one."""

from django import forms

from catalog import readings
from catalog.services.readings import reading_sign

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReadingForm(forms.Form):
    """One reading's dates and how it ended, with the values it was loaded with."""

    started_on = forms.DateField(label="Start date", required=False, widget=_DATE)
    finished_on = forms.DateField(label="End date", required=False, widget=_DATE)
    outcome = forms.ChoiceField(label="How it ended", choices=readings.OUTCOMES.items())
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_reading(cls, record, reading: dict) -> "ReadingForm":
        """The form for a reading as stored."""
        initial = {
            **readings.editable(reading),
            "loaded": reading_sign(record, reading),
        }
        return cls(initial=initial, prefix=prefix(reading["id"]))

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in readings.KEYS[1:]}

    def add_service_errors(self, exc) -> None:
        """Show a service's refusal on the fields it names, else on the form."""
        for name, errors in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, errors)


def prefix(reading_id: int) -> str:
    return f"reading-{reading_id}"


class ProgressForm(forms.Form):
    """How far into the current reading, as a page or a percent, in one box."""

    progress = forms.CharField(
        label="Progress",
        required=False,
        max_length=20,
        help_text="A page (like 120) or a percent (like 45%); empty to clear.",
    )
    reading = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_record(cls, record) -> "ProgressForm":
        current = record.current_reading
        return cls(
            initial={
                "progress": readings.progress_input(current),
                "reading": current["id"] if current else None,
            },
            prefix="progress",
        )

    def add_service_errors(self, exc) -> None:
        for name, errors in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, errors)
