"""What a reader sees of a book: their corrections, else the fetched details.

A reader's corrections live on their record (``UserBook.corrections``) and
never on the shared edition (``Book``), so one reader's typing is never shown
to another. Values a reader's own page sent along when the book was added
(the title and authors a search result showed) are kept as ``provisional``:
they stand in only while the edition has no details of its own.

Precedence for each field: correction, else fetched value, else provisional.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.models import Book

# The details a reader may correct (the cover is corrected with a photo).
CORRECTABLE_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "publisher",
    "publish_date",
    "pages",
    "language",
    "description",
    "series",
)
COVER_FIELDS = ("cover", "cover_thumb")
# What a search result shows, kept until the edition's own details arrive.
PROVISIONAL_FIELDS = ("title", "subtitle", "authors")
# The corrections that move a record in the lists (sort and search keys).
LISTING_FIELDS = ("title", "subtitle", "authors", "series")


def shown_value(
    book: "Book", corrections: dict[str, Any], provisional: dict[str, Any], name: str
) -> Any:
    """Return one field as the reader sees it."""
    if corrections.get(name):
        return corrections[name]
    value = getattr(book, name)
    if value:
        return value
    return provisional.get(name) or value


class ShownBook:
    """A read-only view of a book for one reader; anything else reads the book.

    Templates use it wherever they showed ``record.book``: ``shown.title``,
    ``shown.authors_display``, ``shown.cover.url``, ``shown.isbn13``.
    """

    def __init__(
        self,
        book: "Book",
        corrections: dict[str, Any] | None = None,
        provisional: dict[str, Any] | None = None,
    ):
        self.book = book
        self.corrections = corrections or {}
        self.provisional = provisional or {}

    def __getattr__(self, name: str) -> Any:
        if name in CORRECTABLE_FIELDS:
            return shown_value(self.book, self.corrections, self.provisional, name)
        return getattr(self.book, name)

    def _cover(self, name: str):
        stored = self.corrections.get(name)
        if not stored:
            return getattr(self.book, name)
        from django.db.models.fields.files import ImageFieldFile

        field = type(self.book)._meta.get_field(name)
        return ImageFieldFile(self.book, field, stored)

    @property
    def cover(self):
        return self._cover("cover")

    @property
    def cover_thumb(self):
        return self._cover("cover_thumb")

    @property
    def display_title(self) -> str:
        isbn13 = self.book.isbn13
        return self.title or (f"ISBN {isbn13}" if isbn13 else "Untitled")

    @property
    def authors_display(self) -> str:
        return ", ".join(self.authors or [])

    @property
    def series_suggested(self) -> list[dict[str, str]]:
        """Series read from the title when none is known (the reader may accept)."""
        from catalog.series import suggest

        return [] if self.series else suggest(self.title or "")

    @property
    def series_shown(self) -> list[dict[str, str]]:
        """The series shown: name, position, key and line ("Dune Chronicles #1")."""
        from catalog.series import from_stored, line, series_key

        return [
            {**one, "key": series_key(one["name"]), "line": line(one)}
            for one in from_stored(self.series)
        ]

    @property
    def has_own_cover(self) -> bool:
        """Whether the cover shown is the reader's own photo."""
        return bool(self.corrections.get("cover"))

    @property
    def corrected(self) -> list[str]:
        """The fields the reader corrected, in form order."""
        return [n for n in CORRECTABLE_FIELDS if self.corrections.get(n)]

    @property
    def corrected_labels(self) -> list[str]:
        """The corrected fields' names as the page shows them."""
        labels = {"publish_date": "published", "pages": "pages"}
        return [labels.get(n, n) for n in self.corrected]

    @property
    def is_provisional(self) -> bool:
        """Whether the title shown is the search result's, awaiting details."""
        return bool(
            not self.corrections.get("title")
            and not self.book.title
            and self.provisional.get("title")
        )

    @property
    def needs_details(self) -> bool:
        """No title or authors and none coming: the reader is asked to type them."""
        from catalog.models import MetadataStatus

        status = self.book.metadata_status
        if status == MetadataStatus.PENDING:
            return False
        unfound = (
            MetadataStatus.NOT_FOUND,
            MetadataStatus.FAILED,
            MetadataStatus.MANUAL,
        )
        return not self.title or (not self.authors and status in unfound)

    def __str__(self) -> str:
        return self.display_title
