"""A form's errors as a list of links to the fields they belong to."""

from django import template
from django.forms.forms import NON_FIELD_ERRORS

register = template.Library()

_CHOOSE = "choose_"


@register.simple_tag
def error_links(form) -> list[dict]:
    """Each error with the anchor of its field ("" for the form's own) and label."""
    conflicts = getattr(form, "conflicts", ())
    links = []
    for name, errors in form.errors.items():
        field = name.removeprefix(_CHOOSE)
        if name == NON_FIELD_ERRORS or field not in form.fields:
            href, label = "", ""
        elif name.startswith(_CHOOSE) or field in conflicts:
            href, label = f"#conflict-{field}", form[field].label
        elif form[name].is_hidden:
            href, label = "", ""
        else:
            href, label = f"#{form[name].auto_id}", form[name].label
        links.extend({"href": href, "label": label, "message": e} for e in errors)
    return links
