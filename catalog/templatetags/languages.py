"""A book's language as a name: "English" for a stored "en" or "eng"."""

from django import template

from catalog.languages import language_name as name_of

register = template.Library()


@register.filter
def language_name(value) -> str:
    """Return the name of the language a code names, other text as it is."""
    return name_of(str(value or ""))
