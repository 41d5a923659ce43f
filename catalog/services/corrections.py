"""A reader's own corrections of a book's details, kept on their record only.

The shared edition (``Book``) holds what the providers fetched (and what an
administrator edits); whatever a reader types or photographs goes to their
``UserBook.corrections`` and is shown to them alone (``catalog.shown``).
"""

import copy
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from catalog import records, series
from catalog.backends.base import StaleEdit
from catalog.barcodes import images as photo_images
from catalog.barcodes.base import BarcodeError
from catalog.merge import three_way
from catalog.models import UserBook
from catalog.services.limits import AUTHOR_LIMIT, AUTHORS_MAX, PAGES_RANGE, TEXT_LIMITS
from catalog.services.metadata import COVER_SIZES, cover_sizes
from catalog.shown import CORRECTABLE_FIELDS, COVER_FIELDS, PROVISIONAL_FIELDS

# A correction that loses a race with a concurrent edit is merged again.
_ATTEMPTS = 3


class CorrectionConflict(Exception):
    """The reader and another tab changed the same fields differently.

    ``current`` is the record as stored; ``conflicts`` maps each such field to
    (stored value, submitted value); nothing was saved.
    """

    def __init__(self, current: UserBook, conflicts: dict[str, tuple[Any, Any]]):
        super().__init__("These details were changed elsewhere.")
        self.current = current
        self.conflicts = conflicts


@dataclass
class Corrected:
    """What ``userbook_correct`` saved, and the fields kept as changed elsewhere."""

    record: UserBook
    changed_elsewhere: list[str] = field(default_factory=list)


def clean_corrections(values: dict[str, Any]) -> dict[str, Any]:
    """Return corrections with empty values left out; raise ``ValidationError``.

    Text is stripped, authors are a list of names, pages a whole number.
    """
    unknown = set(values) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"Fields that cannot be corrected: {sorted(unknown)}")
    cleaned, errors = {}, {}
    for name, value in values.items():
        try:
            value = _clean_one(name, value)
        except ValidationError as exc:
            errors[name] = exc.messages
            continue
        if value not in (None, "", []):
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_one(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "series":
        return series.clean(value)
    if name == "pages":
        try:
            pages = int(value)
        except (TypeError, ValueError):
            raise ValidationError("Pages are a whole number.") from None
        low, high = PAGES_RANGE
        if not low <= pages <= high:
            raise ValidationError(f"Pages are from {low} to {high:,}.")
        return pages
    if name == "authors":
        if isinstance(value, str):
            value = value.splitlines()
        if not isinstance(value, list | tuple):
            raise ValidationError("Authors are a list of names, one per line.")
        names = [str(n).strip() for n in value if str(n).strip()]
        validate_authors(names)
        return names
    text = str(value).replace("\r\n", "\n").strip()
    if len(text) > TEXT_LIMITS[name]:
        raise ValidationError(
            f"At most {TEXT_LIMITS[name]:,} characters (this has {len(text):,})."
        )
    return text


def validate_authors(names: list[str]) -> None:
    """Refuse more authors, or longer names, than any book has."""
    if len(names) > AUTHORS_MAX:
        raise ValidationError(
            f"Up to {AUTHORS_MAX} authors, please; this has {len(names)}.",
            code="too_many_authors",
        )
    for name in names:
        if len(name) > AUTHOR_LIMIT:
            raise ValidationError(
                f"An author's name has at most {AUTHOR_LIMIT} characters; "
                f"one here has {len(name)}. One name per line, please.",
                code="author_too_long",
            )


def _clean_changed(stored: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Check the values that differ from the stored corrections; keep the rest.

    A correction stored under earlier, looser limits must not stop the reader
    correcting another field; anything new or changed meets today's limits.
    """
    same = {k: v for k, v in values.items() if k in stored and v == stored[k]}
    fresh = {k: v for k, v in values.items() if k not in same}
    return {**same, **clean_corrections(fresh)}


def _full(corrections: dict[str, Any]) -> dict[str, Any]:
    """Every correctable field, None where there is no correction."""
    return {name: corrections.get(name) or None for name in CORRECTABLE_FIELDS}


def _check_title(record: UserBook, corrections: dict[str, Any]) -> None:
    if not (
        corrections.get("title")
        or record.book.title
        or (record.provisional or {}).get("title")
    ):
        raise ValidationError({"title": ["A book needs a title."]})


def userbook_correct(
    *,
    user,
    book_key: str,
    version: int,
    loaded: dict[str, Any],
    corrections: dict[str, Any],
) -> Corrected:
    """Set the reader's corrections of a book's details (empty ones removed).

    ``loaded`` is the corrections map the editor started from, ``corrections``
    the one they submitted. If the record moved on since ``version``, the two
    are merged with what is stored (``catalog.merge.three_way``): changes made
    on one side are kept; fields both sides changed differently raise
    ``CorrectionConflict``. Raises ``ValidationError`` for bad values.
    """
    current = UserBook.objects.get_for_user(user, book_key)
    submitted = _full(_clean_changed(current.corrections or {}, corrections))
    base = _full(loaded)
    for _ in range(_ATTEMPTS):
        stored = _full(current.corrections or {})
        merge = three_way(
            stored if current.version == version else base, stored, submitted
        )
        if merge.conflicts:
            raise CorrectionConflict(current, merge.conflicts)
        merged = {**(current.corrections or {}), **merge.changes}
        new = {k: v for k, v in merged.items() if v not in (None, "", [])}
        _check_title(current, new)
        if new == (current.corrections or {}):
            return Corrected(current, merge.changed_elsewhere)
        updated = copy.copy(current)
        updated.corrections = new
        records.check_size(updated)
        try:
            with records.refusing_too_large(updated):
                record = UserBook.objects.update_for_user(
                    user,
                    book_key,
                    version=current.version,
                    changes={"corrections": new},
                )
        except StaleEdit as exc:
            current = exc.current
            continue
        return Corrected(record, merge.changed_elsewhere)
    raise StaleEdit(current)


def _private_cover_name(user, book_key: str, suffix: str) -> str:
    token = uuid.uuid4().hex[:8]
    return f"private/{user.pk}/covers/{book_key}-{token}{suffix}.jpg"


def _set_cover(user, book_key: str, cover: dict[str, str]) -> UserBook:
    """Write the cover corrections (or none) and delete the files they replace."""
    for _ in range(_ATTEMPTS):
        current = UserBook.objects.get_for_user(user, book_key)
        own = dict(current.corrections or {})
        old = [own.pop(name) for name in COVER_FIELDS if name in own]
        try:
            record = UserBook.objects.update_for_user(
                user,
                book_key,
                version=current.version,
                changes={"corrections": {**own, **cover}},
            )
        except StaleEdit:
            continue
        for name in old:
            default_storage.delete(name)
        return record
    raise StaleEdit(UserBook.objects.get_for_user(user, book_key))


def userbook_set_cover_photo(*, user, book_key: str, image: Image.Image) -> UserBook:
    """Make a reader's photo the cover they see of a book in their library.

    Stored privately under ``private/<user id>/covers/`` at two sizes; the
    edition's fetched cover stays as it is for everyone else. Raises
    ``UserBook.DoesNotExist`` when the book is not in their library.
    """
    UserBook.objects.get_for_user(user, book_key)
    return _store_cover(user, book_key, cover_sizes(image))


def userbook_restore_cover_photo(*, user, book_key: str, data: bytes) -> UserBook:
    """Restore a reader's cover photo from this app's export, as an upload is kept.

    The photo is checked and opened as an uploaded one (size, pixels, format)
    and stored at the same two sizes. A photo that already is what the app
    stores (a JPEG within the cover size, holding no metadata) keeps its
    bytes, so exporting the library again gives the same photo. Raises
    ``ValidationError`` for a file that is not a photo that can be read, and
    ``UserBook.DoesNotExist`` when the book is not in their library.
    """
    try:
        raw = photo_images.read_upload(data, settings.BARCODE_MAX_UPLOAD_BYTES)
        image = photo_images.open_rgb(
            raw,
            getattr(
                settings, "BARCODE_MAX_IMAGE_PIXELS", photo_images.DEFAULT_MAX_PIXELS
            ),
        )
    except BarcodeError as exc:
        raise ValidationError(str(exc)) from None
    UserBook.objects.get_for_user(user, book_key)
    sizes = cover_sizes(image)
    if _stored_as_is(raw, image):
        sizes["cover"] = raw
    return _store_cover(user, book_key, sizes)


def _stored_as_is(raw: bytes, image: Image.Image) -> bool:
    """Whether these bytes are a cover as the app stores one (see ``cover_sizes``)."""
    width, height = COVER_SIZES["cover"]
    with Image.open(io.BytesIO(raw)) as original:
        return (
            original.format == "JPEG"
            and original.mode == "RGB"
            and original.size == image.size
            and original.width <= width
            and original.height <= height
            and not {"exif", "icc_profile", "comment", "xmp"} & set(original.info)
        )


def _store_cover(user, book_key: str, sizes: dict[str, bytes]) -> UserBook:
    """Store a cover's sizes as the reader's own and use them on the record."""
    stored = {}
    for name, data in sizes.items():
        suffix = "" if name == "cover" else "-thumb"
        target = _private_cover_name(user, book_key, suffix)
        stored[name] = default_storage.save(target, ContentFile(data))
    try:
        return _set_cover(user, book_key, stored)
    except (StaleEdit, UserBook.DoesNotExist):
        for name in stored.values():
            default_storage.delete(name)
        raise


def userbook_clear_cover_photo(*, user, book_key: str) -> UserBook:
    """Drop the reader's own cover photo: the fetched cover shows again."""
    return _set_cover(user, book_key, {})


def provisional_values(values: dict[str, Any]) -> dict[str, Any]:
    """Return what a search result showed, cut to the book fields' limits.

    These come from the reader's own request, so they are never trusted
    beyond their record: bad values are dropped rather than refused.
    """
    kept = {}
    for name in PROVISIONAL_FIELDS:
        try:
            value = _clean_one(name, values.get(name))
        except ValidationError:
            continue
        if value not in (None, "", []):
            kept[name] = value
    return kept


def userbook_accept_series(*, user, book_key: str) -> UserBook:
    """Store the series the shown title suggests as the reader's correction.

    Does nothing when the book has a series already or the title suggests
    none. Raises ``UserBook.DoesNotExist`` for a book not in their library.
    """
    record = UserBook.objects.get_for_user(user, book_key)
    suggested = record.shown.series_suggested
    if not suggested:
        return record
    own = record.corrections or {}
    return userbook_correct(
        user=user,
        book_key=book_key,
        version=record.version,
        loaded=own,
        corrections={**own, "series": suggested},
    ).record
