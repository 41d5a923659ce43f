"""Imports in the ORM backend: one ``ImportJob`` row each."""

from datetime import datetime
from typing import Any

from catalog.models import ImportJob, ImportState

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

    def stale_imports(self, before: datetime, limit: int) -> list[ImportJob]:
        return list(
            ImportJob.objects.filter(
                state__in=UNFINISHED, heartbeat_at__lt=before
            ).order_by("heartbeat_at", "pk")[:limit]
        )
