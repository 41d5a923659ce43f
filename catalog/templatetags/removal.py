"""The Undo button a removal's message carries, shown only to its reader."""

from django import template

from catalog.views.removal import READER_TAG, UNDO_TAG

register = template.Library()


def _tagged(message, prefix: str) -> str:
    for tag in (getattr(message, "extra_tags", "") or "").split():
        if tag.startswith(prefix):
            return tag[len(prefix) :]
    return ""


@register.filter
def undo_token(message) -> str:
    """Return the undo token a message carries in its extra tags, or ""."""
    return _tagged(message, UNDO_TAG)


@register.filter
def shown_to(message, user) -> bool:
    """False for a message left for another reader (what went from their library)."""
    reader = _tagged(message, READER_TAG)
    return not reader or reader == str(getattr(user, "pk", ""))
