"""The reader's own cover photos, restored from this app's export ZIP.

A record of the export names its photo in ``cover`` (a file of the ZIP).
After each chunk of an import, every record of it that this import added and
that has no photo of its own yet gets the one named, checked and stored as
an uploaded photo is (``userbook_restore_cover_photo``). Restoring is
idempotent: a record that was already in the library, or whose photo is back,
is left as it is, so a chunk's photos can be restored again after a stop. A
photo that cannot be had is a warning on its row: the record stays imported,
without it.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.backends.base import StaleEdit
from catalog.imports import ImportFile, ImportRow, RowProblem
from catalog.models import UserBook
from catalog.services.corrections import userbook_restore_cover_photo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wanted:
    """A row naming a photo, its record's key and the added date this import gave."""

    row: ImportRow
    key: str
    added_at: datetime


def restore_covers(
    *, user, opened: ImportFile, wanted: Iterable[Wanted]
) -> list[tuple[ImportRow, str]]:
    """Restore the photos these rows name; return the rows that got none, and why."""
    wanted = [one for one in wanted if one.row.cover]
    if not wanted:
        return []
    records = UserBook.objects.for_keys(user, [one.key for one in wanted])
    warnings = []
    for one in wanted:
        record = records.get(one.key)
        if (
            record is None
            or record.added_at != one.added_at  # in the library before
            or (record.corrections or {}).get("cover")  # restored already
        ):
            continue
        reason = _restore(user, opened, one)
        if reason:
            warnings.append((one.row, reason))
    return warnings


def _restore(user, opened: ImportFile, one: Wanted) -> str:
    """Restore one photo; return why it was not, or "" when it was."""
    name = one.row.cover
    try:
        data = opened.photo(name)
        with transaction.atomic():
            userbook_restore_cover_photo(user=user, book_key=one.key, data=data)
    except RowProblem as problem:
        return f"imported without its photo: {problem}"
    except ValidationError as exc:
        return f"imported without its photo: {name}: {' '.join(exc.messages)}"
    except (StaleEdit, UserBook.DoesNotExist):
        return "imported without its photo: the book changed meanwhile"
    except Exception:
        # Storage failed (a full disk, S3 unreachable): that photo is left out.
        logger.exception("Could not store the photo %s of %s", name, one.key)
        return f"imported without its photo: {name} could not be stored"
    return ""
