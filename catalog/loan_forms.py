"""Forms for lending, borrowing and returning; the loan services validate."""

from django import forms
from django.utils import timezone

from catalog.services.loans import NOTE_MAX, PERSON_MAX

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PREFIX = "loan"


class _LoanForm(forms.Form):
    lent_on = forms.DateField(widget=_DATE)
    due_on = forms.DateField(label="Due back on", required=False, widget=_DATE)
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", PREFIX)
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", {"lent_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def add_service_errors(self, exc) -> None:
        """Show a service's refusal on the fields it names, else on the form."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)


class LendForm(_LoanForm):
    person = forms.CharField(label="Lent to", max_length=PERSON_MAX)
    email = forms.EmailField(
        label="Their email", required=False, help_text="Only to send them reminders."
    )
    remind_person = forms.BooleanField(
        label="Also remind them when it is due", required=False
    )
    field_order = ["person", "email", "remind_person", "lent_on", "due_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lent_on"].label = "Lent on"


class BorrowForm(_LoanForm):
    person = forms.CharField(label="Borrowed from", max_length=PERSON_MAX)
    field_order = ["person", "lent_on", "due_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lent_on"].label = "Borrowed on"


class ReturnForm(forms.Form):
    returned_on = forms.DateField(label="Returned on", widget=_DATE)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", PREFIX)
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", {"returned_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
