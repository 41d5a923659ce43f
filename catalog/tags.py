"""A reader's tags: how they are typed, compared, limited and stored.

Tags are compared ignoring case (``casefold``) but keep their accents, and
each keeps the form it was first typed in. A record stores its tags as typed
(``UserBook.tags``) and their keys between bars (``UserBook.tag_keys``, e.g.
"|fantasy|sci fi|"), so that a listing finds a tag with one substring test on
either backend.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

# Bounds that keep a record far inside DynamoDB's 400 KB item: 50 tags of 60
# characters are at most 12 KB of UTF-8, twice (as typed and as keys).
MAX_TAGS = 50
TAG_MAX_CHARS = 60
# Typed between tags; the bar separates keys in storage, so no tag holds one.
SEPARATOR = ","
_FORBIDDEN = "|"


def tidy(tag: str) -> str:
    """Return a tag as stored: trimmed, its inner spaces made single."""
    return " ".join(tag.split())


def tag_key(tag: str) -> str:
    """Return the key that tags equal to ``tag`` share (case ignored, accents kept)."""
    return tidy(tag).casefold()


def split(text: str) -> list[str]:
    """Return the tags typed in ``text`` (comma-separated), tidied, none empty."""
    return [t for t in (tidy(part) for part in text.split(SEPARATOR)) if t]


def unique(tags: Iterable[str]) -> list[str]:
    """Return the tags once each (by key), in order, each as first given."""
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(tag_key(tag), tidy(tag))
    return list(seen.values())


def keys_text(tags: Iterable[str]) -> str:
    """Return the stored keys of these tags: "|a|b|", or "" for none."""
    keys = [tag_key(t) for t in tags]
    return f"|{'|'.join(keys)}|" if keys else ""


def stored_fields(tags: Iterable[str]) -> dict[str, Any]:
    """Return the record fields that hold these tags (as typed, and their keys)."""
    tags = unique(tags)
    return {"tags": tags, "tag_keys": keys_text(tags)}


def check_tag(tag: str) -> str | None:
    """Return what is wrong with one tag, or None."""
    if "\x00" in tag:
        return "A tag cannot hold null characters; remove them and save again."
    if _FORBIDDEN in tag:
        return f"A tag cannot hold “{_FORBIDDEN}”: “{tag}”. Remove it and save again."
    if len(tag) > TAG_MAX_CHARS:
        return (
            f"A tag can be at most {TAG_MAX_CHARS} characters; “{tag[:20]}…” is "
            f"{len(tag)}. Shorten it and save again."
        )
    return None


def clean(tags: Any) -> list[str]:
    """Return the tags tidied and once each, or raise ``ValidationError``."""
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise ValidationError({"tags": ["Tags must be text."]})
    tags = unique(t for t in (tidy(t) for t in tags) if t)
    for tag in tags:
        message = check_tag(tag)
        if message:
            raise ValidationError({"tags": [message]})
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            {
                "tags": [
                    f"A book can have at most {MAX_TAGS} tags; this is {len(tags)}. "
                    "Remove some and save again."
                ]
            }
        )
    return tags


def apply(
    stored: list[str], *, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> list[str]:
    """Return ``stored`` with tags added (at the end) and removed, by key.

    A tag already there keeps its stored form; one both added and removed is
    added (the reader typed it last).
    """
    adding = unique(add)
    added = {tag_key(t) for t in adding}
    gone = {tag_key(t) for t in remove} - added
    kept = [t for t in stored if tag_key(t) not in gone]
    return unique([*kept, *adding])
