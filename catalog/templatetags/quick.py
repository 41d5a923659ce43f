"""One-tap controls: the signed snapshot each one carries."""

from django import template

from catalog import records
from catalog.models import ReadingStatus
from catalog.records import RATINGS
from catalog.services.quick import quick_sign

register = template.Library()


@register.filter
def quick_loaded(record) -> str:
    """The signed version, status and rating a one-tap control was shown with."""
    return quick_sign(record)


@register.simple_tag
def quick_statuses() -> list[tuple[str, str]]:
    """The four statuses, as (value, label)."""
    return [(value, str(label)) for value, label in ReadingStatus.choices]


@register.simple_tag
def quick_ratings() -> list[tuple[str, str]]:
    """The ratings in half stars, as (value, label): ("3.5", "3.5 stars")."""
    return [(records.rating_text(value), records.stars(value)) for value in RATINGS]


@register.filter
def rating_value(rating) -> str:
    """A stored rating as the controls send it ("4.5", "5.0"), "" for none."""
    return records.rating_text(rating)
