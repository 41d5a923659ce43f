"""Imports in the ORM backend: one ``ImportJob`` row each."""

from datetime import datetime
from typing import Any

from catalog.models import MANUAL_KEY_PREFIX, ImportJob, ImportState, UserBook

# The fields an import's progress write sets (the rest never change).
PROGRESS_FIELDS = (
    "state",
    "message",
    "total",
    "next_index",
    "imported",
    "already",
    "duplicate",
    "failed",
    "errors",
    "warned",
    "warnings",
    "heartbeat_at",
    "finished_at",
)
UNFINISHED = (ImportState.QUEUED, ImportState.RUNNING)


class OrmImports:
    """The import half of the ORM backend."""

    def add_import(self, job: ImportJob) -> ImportJob:
        job.save(force_insert=True)
        return job

    def get_import(self, user_id: int, import_id: str) -> ImportJob:
        job = ImportJob.objects.filter(user_id=user_id, pk=import_id).first()
        if job is None:
            raise LookupError("No such import.")
        return job

    def imports_for_user(self, user: Any, limit: int) -> list[ImportJob]:
        return list(
            ImportJob.objects.filter(user=user).order_by("-created_at", "-pk")[:limit]
        )

    def save_import(self, job: ImportJob, version: int) -> bool:
        values = {name: getattr(job, name) for name in PROGRESS_FIELDS}
        written = ImportJob.objects.filter(pk=job.pk, version=version).update(
            version=version + 1, **values
        )
        if written:
            job.version = version + 1
        return bool(written)

    def delete_imports(self, user: Any) -> list[ImportJob]:
        jobs = list(ImportJob.objects.filter(user=user))
        ImportJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
        return jobs

    def all_imports(self) -> list[ImportJob]:
        return list(ImportJob.objects.order_by("-created_at", "-pk"))

    def typed_by_hand(self, user: Any) -> list[tuple[str, str, list[str]]]:
        """Return the key, title and authors the reader sees of each book
        they have without an ISBN (one query on their records' key prefix)."""
        records = UserBook._base_manager.filter(
            user=user, book__key__startswith=MANUAL_KEY_PREFIX
        ).select_related("book")
        return [
            (record.book_id, record.shown.title or "", list(record.shown.authors or []))
            for record in records.order_by("book_id")
        ]

    def stale_imports(self, before: datetime, limit: int) -> list[ImportJob]:
        return list(
            ImportJob.objects.filter(
                state__in=UNFINISHED, heartbeat_at__lt=before
            ).order_by("heartbeat_at", "pk")[:limit]
        )
