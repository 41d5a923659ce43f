"""Tag jobs in the ORM backend: one ``TagChangeRow`` per reader."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from catalog.backends.base import TagJob, TagJobRunning
from catalog.models import TagChangeRow

_FIELDS = (
    "token",
    "kind",
    "old",
    "new",
    "total",
    "created_at",
    "heartbeat_at",
    "running",
    "done",
    "changed",
    "skipped",
    "cursor",
    "finished_at",
)
_PROGRESS = ("running", "done", "changed", "skipped", "cursor", "heartbeat_at")


def _job(row: TagChangeRow) -> TagJob:
    return TagJob(user_id=row.user_id, **{name: getattr(row, name) for name in _FIELDS})


class OrmTagJobs:
    """The tag-job half of the ORM backend."""

    def start_tag_job(self, user: Any, job: TagJob) -> TagJob:
        values = {name: getattr(job, name) for name in _FIELDS}
        try:
            with transaction.atomic():
                TagChangeRow.objects.filter(user=user, running=False).delete()
                TagChangeRow.objects.create(user_id=user.pk, **values)
        except IntegrityError:
            running = self.get_tag_job(user)
            if running is None:
                raise
            raise TagJobRunning(running) from None
        return job

    def get_tag_job(self, user: Any) -> TagJob | None:
        row = TagChangeRow.objects.filter(user_id=user.pk).first()
        return _job(row) if row else None

    def save_tag_job(self, job: TagJob, *, seen: datetime) -> bool:
        values = {name: getattr(job, name) for name in (*_PROGRESS, "finished_at")}
        updated = TagChangeRow.objects.filter(
            user_id=job.user_id, token=job.token, running=True, heartbeat_at=seen
        ).update(**values)
        return bool(updated)

    def stalled_tag_jobs(self, beat_before: datetime, limit: int) -> list[TagJob]:
        rows = TagChangeRow.objects.filter(
            running=True, heartbeat_at__lt=beat_before
        ).order_by("heartbeat_at")[:limit]
        return [_job(row) for row in rows]
