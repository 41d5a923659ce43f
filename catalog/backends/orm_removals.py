"""Removals held for undo in the ORM backend: one ``RemovedRecords`` row each."""

from datetime import datetime
from typing import Any

from django.core import serializers
from django.db import IntegrityError, transaction

from catalog.backends.base import (
    HeldRemoval,
    Restoring,
    keep,
    listing_fields,
    own_cover_files,
)
from catalog.locations import location_key
from catalog.models import RemovedRecords, UserBook


def _held(row: RemovedRecords) -> HeldRemoval:
    return HeldRemoval(
        user_id=row.user_id,
        token=row.token,
        created_at=row.created_at,
        held_until=row.held_until,
        keys=list(row.keys),
        titles=list(row.titles),
        files=list(row.files),
    )


class OrmRemovals:
    """The removal half of the ORM backend."""

    def hold_and_remove(
        self, user: Any, removal: HeldRemoval, records: list[UserBook]
    ) -> list[UserBook]:
        """Remove these records in one transaction, their rows kept as JSON."""
        keys = [record.book_id for record in records]
        with transaction.atomic():
            found = {
                r.book_id: r
                for r in UserBook._base_manager.select_for_update()
                .select_related("book")
                .filter(user=user, book_id__in=keys)
            }
            removed = [found[key] for key in keys if key in found]
            if not removed:
                return []
            removal.keys = [r.book_id for r in removed]
            removal.titles = [r.shown.display_title for r in removed]
            removal.files = [name for r in removed for name in own_cover_files(r)]
            RemovedRecords.objects.create(
                user=user,
                token=removal.token,
                created_at=removal.created_at,
                held_until=removal.held_until,
                keys=removal.keys,
                titles=removal.titles,
                files=removal.files,
                payload=serializers.serialize("python", removed),
            )
            UserBook._base_manager.filter(pk__in=[r.pk for r in removed]).delete()
        return removed

    def get_removal(self, user: Any, token: str) -> HeldRemoval:
        """Return the user's held removal with this token or raise ``LookupError``."""
        row = (
            RemovedRecords.objects.defer("payload")
            .filter(user=user, token=token)
            .first()
        )
        if row is None:
            raise LookupError("No such removal.")
        return _held(row)

    def restore_removal(self, user: Any, removal: HeldRemoval) -> Restoring:
        """Insert the held rows again (same ids) and delete the hold, at once."""
        done = Restoring()
        with transaction.atomic():
            row = (
                RemovedRecords.objects.select_for_update()
                .filter(user=user, token=removal.token)
                .first()
            )
            if row is None:
                return done  # restored already, by another request
            for held in serializers.deserialize("python", row.payload):
                self._restore_one(user, held.object, done)
            row.delete()
        return done

    def _restore_one(self, user: Any, record: UserBook, done: Restoring) -> None:
        existing = UserBook._base_manager.filter(user=user, book_id=record.book_id)
        current = existing.select_related("book").first()
        if current is not None:
            keep(done, current, record)
            return
        record.user = user
        # The book's details may have changed meanwhile: sort and search as now.
        for name, value in listing_fields(
            record.book, record.corrections, record.provisional
        ).items():
            setattr(record, name, value)
        # Held before locations had keys, perhaps: filtered by location as now.
        record.location_key = location_key(record.location)
        if UserBook._base_manager.filter(pk=record.pk).exists():
            record.pk = None  # a rare id taken meanwhile: the record gets a new one
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            keep(done, existing.select_related("book").get(), record)
            return
        done.restored.append(record)

    def expired_removals(self, due_by: datetime, limit: int) -> list[HeldRemoval]:
        """Return removals held until ``due_by`` or before, earliest first."""
        rows = (
            RemovedRecords.objects.defer("payload")
            .filter(held_until__lte=due_by)
            .order_by("held_until", "pk")[:limit]
        )
        return [_held(row) for row in rows]

    def drop_removal(self, removal: HeldRemoval) -> None:
        """Delete a held removal's row."""
        RemovedRecords.objects.filter(
            user_id=removal.user_id, token=removal.token
        ).delete()
