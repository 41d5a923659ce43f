"""Catalog services: every write to books and libraries goes through here."""

from catalog.services.bulk import BulkStatusResult, userbooks_set_status
from catalog.services.corrections import (
    Corrected,
    CorrectionConflict,
    clean_corrections,
    userbook_clear_cover_photo,
    userbook_correct,
    userbook_set_cover_photo,
)
from catalog.services.counters import counters_rebuild, counters_rebuild_later
from catalog.services.library import (
    AddManyResult,
    EditConflict,
    book_lookup,
    books_lookup,
    userbook_add,
    userbook_add_manual,
    userbook_add_many,
    userbook_update,
)
from catalog.services.loan_reminders import ReminderResult, loans_send_reminders
from catalog.services.loans import loan_borrow, loan_lend, loan_return, loan_update
from catalog.services.locations import LocationRenamed, location_rename
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
from catalog.services.removal import (
    Removal,
    Restored,
    UndoExpired,
    UndoUnavailable,
    UndoUnknown,
    removal_undo,
    removals_clean_expired,
    userbook_remove,
    userbooks_remove,
)
from catalog.services.tag_jobs import (
    describe_tag_job,
    tag_job_run,
    tag_job_shown,
    tag_jobs_sweep,
)
from catalog.services.tagging import (
    BulkTagResult,
    TagChangeResult,
    tag_delete,
    tag_rename,
    userbook_set_tags,
    userbooks_tag,
)

__all__ = [
    "AddManyResult",
    "BulkStatusResult",
    "BulkTagResult",
    "Corrected",
    "CorrectionConflict",
    "EditConflict",
    "LocationRenamed",
    "MetadataUnavailable",
    "QuickSnapshot",
    "ReminderResult",
    "Removal",
    "Restored",
    "SweepResult",
    "TagChangeResult",
    "UndoExpired",
    "UndoUnavailable",
    "UndoUnknown",
    "book_lookup",
    "book_request_metadata",
    "books_lookup",
    "books_mark_metadata_failed",
    "books_metadata_retrying",
    "books_refresh_metadata",
    "books_sweep_metadata",
    "clean_corrections",
    "counters_rebuild",
    "counters_rebuild_later",
    "describe_tag_job",
    "loan_borrow",
    "loan_lend",
    "loan_return",
    "loan_update",
    "loans_send_reminders",
    "location_rename",
    "quick_sign",
    "quick_unsign",
    "removal_undo",
    "removals_clean_expired",
    "tag_delete",
    "tag_job_run",
    "tag_job_shown",
    "tag_jobs_sweep",
    "tag_rename",
    "userbook_add",
    "userbook_add_manual",
    "userbook_add_many",
    "userbook_clear_cover_photo",
    "userbook_correct",
    "userbook_quick_set",
    "userbook_remove",
    "userbook_set_cover_photo",
    "userbook_set_tags",
    "userbook_update",
    "userbooks_remove",
    "userbooks_set_status",
    "userbooks_tag",
]
