"""Catalog services: every write to books and libraries goes through here."""

from catalog.services.corrections import (
    Corrected,
    CorrectionConflict,
    clean_corrections,
    userbook_clear_cover_photo,
    userbook_correct,
    userbook_set_cover_photo,
)
from catalog.services.library import (
    AddManyResult,
    EditConflict,
    book_lookup,
    userbook_add,
    userbook_add_manual,
    userbook_add_many,
    userbook_remove,
    userbook_update,
)
from catalog.services.metadata import (
    MetadataUnavailable,
    SweepResult,
    book_request_metadata,
    books_mark_metadata_failed,
    books_metadata_retrying,
    books_refresh_metadata,
    books_sweep_metadata,
)
from catalog.services.quick import (
    QuickSnapshot,
    quick_sign,
    quick_unsign,
    userbook_quick_set,
)

__all__ = [
    "AddManyResult",
    "Corrected",
    "CorrectionConflict",
    "EditConflict",
    "MetadataUnavailable",
    "QuickSnapshot",
    "SweepResult",
    "book_lookup",
    "book_request_metadata",
    "books_mark_metadata_failed",
    "books_metadata_retrying",
    "books_refresh_metadata",
    "books_sweep_metadata",
    "clean_corrections",
    "quick_sign",
    "quick_unsign",
    "userbook_add",
    "userbook_add_manual",
    "userbook_add_many",
    "userbook_clear_cover_photo",
    "userbook_correct",
    "userbook_quick_set",
    "userbook_remove",
    "userbook_set_cover_photo",
    "userbook_update",
]
