"""Catalog services: every write to books and libraries goes through here."""

from catalog.services.library import (
    AddManyResult,
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
    SweepResult,
    book_request_metadata,
    book_use_cover_photo,
    books_mark_metadata_failed,
    books_metadata_retrying,
    books_refresh_metadata,
    books_sweep_metadata,
)

__all__ = [
    "AddManyResult",
    "CoverTaken",
    "MetadataUnavailable",
    "SweepResult",
    "book_lookup",
    "book_request_metadata",
    "book_use_cover_photo",
    "books_mark_metadata_failed",
    "books_metadata_retrying",
    "books_refresh_metadata",
    "books_sweep_metadata",
    "userbook_add",
    "userbook_add_manual",
    "userbook_add_many",
    "userbook_remove",
    "userbook_update",
]
