"""A reader's locations: how they are compared and stored.

A record's location is free text (one line, its spaces made single by
``catalog.records``). Locations are compared ignoring case: their key is the
tidied text casefolded, stored on the record as ``location_key`` so that the
library filters on one equality test on either backend. The reader's list of
locations is the distinct locations of their records, each shown in the form
of its first record found.
"""

from typing import Any

from django.core.exceptions import ValidationError

# A rename changes at most this many records at once.
RENAME_MAX_RECORDS = 500


def tidy(location: str) -> str:
    """Return a location as stored: trimmed, its inner spaces made single."""
    return " ".join((location or "").split())


def location_key(location: str) -> str:
    """Return the key that locations equal to ``location`` share (case ignored)."""
    return tidy(location).casefold()


def stored_fields(location: str) -> dict[str, Any]:
    """Return the record fields that hold this location (as typed, and its key)."""
    return {"location": tidy(location), "location_key": location_key(location)}


def clean(location: Any) -> str:
    """Return a location a reader typed, tidied, or raise ``ValidationError``."""
    from catalog.records import LOCATION_MAX_CHARS

    if not isinstance(location, str):
        raise ValidationError({"new": "A location is text."})
    tidied = tidy(location)
    if not tidied:
        raise ValidationError({"new": "Type the location's new name."})
    if len(tidied) > LOCATION_MAX_CHARS:
        raise ValidationError(
            {
                "new": f"A location is at most {LOCATION_MAX_CHARS} "
                f"characters; this one has {len(tidied)}."
            }
        )
    return tidied
