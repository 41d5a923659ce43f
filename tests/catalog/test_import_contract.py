"""The import operations of the catalog contract, on both backends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import ImportJob, ImportState
from tests.factories import UserFactory


def _job(user, **fields):
    fields.setdefault("format", "goodreads")
    fields.setdefault("file_name", "goodreads_library_export.csv")
    fields.setdefault("stored_name", f"imports/{user.pk}/file.csv")
    return ImportJob(user_id=user.pk, **fields)


class ImportContract:
    backend: str

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    @pytest.fixture
    def reader(self):
        return UserFactory()

    def test_an_import_is_stored_and_read_back_by_its_owner_only(self, reader):
        job = ImportJob.objects.add(_job(reader, total=12))
        found = ImportJob.objects.get_for_user(reader.pk, job.pk)
        assert (found.pk, found.user_id, found.format, found.total) == (
            job.pk,
            reader.pk,
            "goodreads",
            12,
        )
        assert found.state == ImportState.QUEUED
        assert (found.errors, found.version, found.finished_at) == ([], 1, None)
        assert found.created_at == job.created_at
        stranger = UserFactory()
        with pytest.raises(ImportJob.DoesNotExist):
            ImportJob.objects.get_for_user(stranger.pk, job.pk)
        with pytest.raises(ImportJob.DoesNotExist):
            ImportJob.objects.get_for_user(reader.pk, "x" * 2000)

    def test_progress_is_written_only_at_the_version_read(self, reader):
        job = ImportJob.objects.add(_job(reader, total=500))
        job.state, job.next_index, job.imported, job.failed = "running", 200, 190, 2
        job.errors = [
            {"index": 3, "line": 5, "end_line": 5, "reason": "Bad ISBN checksum"},
            {"index": 9, "line": 11, "end_line": 12, "reason": "Unreadable date"},
        ]
        assert ImportJob.objects.save_progress(job, version=1)
        assert job.version == 2
        stale = ImportJob.objects.get_for_user(reader.pk, job.pk)
        assert (stale.next_index, stale.imported, stale.failed) == (200, 190, 2)
        assert stale.errors == job.errors
        stale.version = 1
        stale.next_index = 400
        assert not ImportJob.objects.save_progress(stale, version=1)
        assert stale.version == 1
        assert ImportJob.objects.get_for_user(reader.pk, job.pk).next_index == 200

    def test_the_readers_imports_come_newest_first(self, reader):
        now = timezone.now()
        first = ImportJob.objects.add(
            _job(reader, id="20260101000000aaaa", created_at=now - timedelta(1))
        )
        second = ImportJob.objects.add(
            _job(reader, id="20260102000000bbbb", created_at=now)
        )
        ImportJob.objects.add(_job(UserFactory()))
        assert [j.pk for j in ImportJob.objects.for_user(reader)] == [
            second.pk,
            first.pk,
        ]
        assert [j.pk for j in ImportJob.objects.for_user(reader, limit=1)] == [
            second.pk
        ]
        assert ImportJob.objects.for_user(UserFactory()) == []

    def test_stale_lists_unfinished_imports_with_an_old_heartbeat(self, reader):
        now = timezone.now()
        old = now - timedelta(minutes=10)
        quiet = ImportJob.objects.add(_job(reader, heartbeat_at=old))
        ImportJob.objects.add(_job(reader, heartbeat_at=now))
        done = ImportJob.objects.add(_job(reader, heartbeat_at=old))
        done.state, done.finished_at = ImportState.DONE, now
        assert ImportJob.objects.save_progress(done, version=1)
        running = ImportJob.objects.add(
            _job(reader, state=ImportState.RUNNING, heartbeat_at=old)
        )
        before = now - timedelta(minutes=5)
        found = ImportJob.objects.stale(before, 10)
        assert sorted(j.pk for j in found) == sorted([quiet.pk, running.pk])
        assert len(ImportJob.objects.stale(before, 1)) == 1
        running.heartbeat_at = now
        assert ImportJob.objects.save_progress(running, version=1)
        assert [j.pk for j in ImportJob.objects.stale(before, 10)] == [quiet.pk]

    def test_removing_a_readers_imports_leaves_the_others(self, reader):
        old = timezone.now() - timedelta(minutes=10)
        mine = [ImportJob.objects.add(_job(reader, heartbeat_at=old)) for _ in "ab"]
        other = ImportJob.objects.add(_job(UserFactory(), heartbeat_at=old))
        gone = ImportJob.objects.remove_all_for_user(reader)
        assert sorted(j.pk for j in gone) == sorted(j.pk for j in mine)
        assert ImportJob.objects.for_user(reader) == []
        with pytest.raises(ImportJob.DoesNotExist):
            ImportJob.objects.get_for_user(reader.pk, mine[0].pk)
        assert [j.pk for j in ImportJob.objects.stale(timezone.now(), 10)] == [other.pk]
        assert ImportJob.objects.remove_all_for_user(reader) == []


class TestOrmImports(ImportContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"


@pytest.mark.usefixtures("aws_tables")
class TestDynamoImports(ImportContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"
