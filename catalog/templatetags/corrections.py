"""The form for a reader's own corrections, on any page that shows a book."""

from django import template

from catalog.forms import CorrectionsForm

register = template.Library()


@register.inclusion_tag("includes/book_corrections.html", takes_context=True)
def corrections_form(context, record, form=None, opened=False) -> dict:
    """Render the corrections form, open when asked or the book lacks details."""
    form = form or CorrectionsForm(record=record)
    shown = record.shown
    return {
        "record": record,
        "shown": shown,
        "corrections_form": form,
        "open": opened or shown.needs_details or form.is_bound,
        "csrf_token": context.get("csrf_token"),
    }
