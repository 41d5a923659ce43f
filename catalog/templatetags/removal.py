"""The Undo button a removal's message carries."""

from django import template

from catalog.views.removal import UNDO_TAG

register = template.Library()


@register.filter
def undo_token(message) -> str:
    """Return the undo token a message carries in its extra tags, or ""."""
    for tag in (getattr(message, "extra_tags", "") or "").split():
        if tag.startswith(UNDO_TAG):
            return tag[len(UNDO_TAG) :]
    return ""
