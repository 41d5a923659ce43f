"""Catalog services: every write to books and libraries goes through here."""

from catalog.services.library import (
    AddManyResult,
    InvalidStatus,
    book_lookup,
    userbook_add,
    userbook_add_manual,
    userbook_add_many,
    userbook_remove,
    userbook_update,
)
from catalog.services.metadata import (
    CoverTaken,
    MetadataUnavailable,
    book_request_metadata,
    book_use_cover_photo,
    books_mark_metadata_failed,
    books_refresh_metadata,
)

__all__ = [
    "AddManyResult",
    "CoverTaken",
    "InvalidStatus",
    "MetadataUnavailable",
    "book_lookup",
    "book_request_metadata",
    "book_use_cover_photo",
    "books_mark_metadata_failed",
    "books_refresh_metadata",
    "userbook_add",
    "userbook_add_manual",
    "userbook_add_many",
    "userbook_remove",
    "userbook_update",
]
