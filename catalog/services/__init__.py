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
from catalog.services.removal import (
    Removal,
    Restored,
    UndoUnavailable,
    removal_undo,
    removals_clean_expired,
    userbook_remove,
    userbooks_remove,
)

__all__ = [
    "AddManyResult",
    "Corrected",
    "CorrectionConflict",
    "EditConflict",
    "MetadataUnavailable",
    "Removal",
    "Restored",
    "SweepResult",
    "UndoUnavailable",
    "book_lookup",
    "book_request_metadata",
    "books_mark_metadata_failed",
    "books_metadata_retrying",
    "books_refresh_metadata",
    "books_sweep_metadata",
    "clean_corrections",
    "removal_undo",
    "removals_clean_expired",
    "userbook_add",
    "userbook_add_manual",
    "userbook_add_many",
    "userbook_clear_cover_photo",
    "userbook_correct",
    "userbook_remove",
    "userbook_set_cover_photo",
    "userbook_update",
    "userbooks_remove",
]
