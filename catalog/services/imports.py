"""Importing a file into a reader's library, in the background and resumably.

``import_start`` checks the upload (a file that cannot be read is refused at
once, nothing stored), stores it and queues ``import_run``. The job reads the
rows in chunks; after each chunk one conditional write saves where it got to
with the counts and errors, so a worker stopped midway is resumed from there
by the next run (``imports_sweep`` queues again an import nobody is running).

A row's write is idempotent: the reader's record is looked up first, and a
book already in the library is left exactly as it is. A chunk's rows are
checked one by one (a row refused is that row's error), then the new records
and editions are added together (``UserBook.objects.add_many``: bulk inserts,
or DynamoDB transactions of conditional puts); should that refuse the chunk,
its rows are added one by one. New editions are stored already pending with
their sweep check time, and their fetch jobs (25 books each) are queued after
the chunk's commit: no second write per book. A record this import
added carries the import's time of day in its added date, so a chunk run
again after a stop counts it as imported, not as already there. What the file
says of a book (title, authors, series...) is the reader's own correction:
fetched details fill what it lacks and never replace it.

A row without an ISBN is the book the reader already has with the same title
and authors (compared as ``title_key`` compares them), typed by hand or
imported before; otherwise its key comes from its title and authors, so the
same file imported again finds it.

A row with something of it left out or changed (an ASIN that is not an ISBN,
a rating rounded, a loan the loan services refuse...) gets a warning with its
line, kept apart from the errors; so does a repeat of an earlier row, which is
left out whole (counted as repeated, not imported).
"""

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from catalog import readings, records
from catalog.backends.base import Added, AlreadyInLibrary
from catalog.imports import (
    BORROWED,
    DNF,
    FORMATS,
    READ,
    READING,
    DuplicateFinder,
    ImportFile,
    ImportFileError,
    ImportLoan,
    ImportRow,
    RowError,
    Span,
    open_import,
    title_key,
)
from catalog.models import (
    MANUAL_KEY_PREFIX,
    Book,
    ImportJob,
    ImportState,
    MetadataStatus,
    UserBook,
    new_import_id,
    new_manual_key,
)
from catalog.services import import_covers
from catalog.services.corrections import clean_corrections
from catalog.services.loans import loan_borrow, loan_lend, loan_return
from catalog.services.metadata import (
    book_request_metadata,
    books_queue_fetch,
    new_book_pending,
)

logger = logging.getLogger(__name__)

# Rows imported between two progress writes.
CHUNK_ROWS = 200
# New editions whose details are asked for in one job (Open Library's batch).
METADATA_BATCH = 25
# The errors an import keeps (with their lines) for its page and the failed
# rows' file; the count goes on past them.
ERRORS_KEPT = 500
# Likewise the warnings (rows with something left out or changed).
WARNINGS_KEPT = 500
REASON_MAX_CHARS = 300
# An import whose heartbeat is older than this is queued again by the sweep.
STALE_AFTER = timedelta(minutes=5)
_SWEEP_BATCH = 50
_FETCH_AGAIN = (MetadataStatus.FAILED,)
# A reading's outcome as a file gives it, as the record keeps it.
_OUTCOMES = {READ: readings.FINISHED, DNF: readings.DNF, READING: readings.READING}


def _error(message: Any) -> str:
    if isinstance(message, ValidationError):
        message = " ".join(message.messages)
    text = " ".join(str(message).split())
    return text[:REASON_MAX_CHARS]


def _suffix(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    return (
        suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 6 else ""
    )


def stored_name(user_id: int, import_id: str, file_name: str) -> str:
    """Where an import's file is kept: private, under its reader's folder."""
    return f"private/{user_id}/imports/{import_id}{_suffix(file_name)}"


def _check_format(format: str | None) -> str | None:
    if not format:
        return None
    if format not in FORMATS:
        raise ValidationError("Choose one of the formats listed, or let it be found.")
    return format


def open_checked(data: IO[bytes], format: str | None) -> ImportFile:
    """Open an import file or raise ``ValidationError`` with the reader's message."""
    try:
        return open_import(data, format=format)
    except ImportFileError as exc:
        raise ValidationError(str(exc)) from None


def import_start(
    *, user, uploaded_file: IO[bytes], file_name: str, format: str | None = None
) -> ImportJob:
    """Check and store an uploaded file, and queue its import.

    Raises ``ValidationError`` with what to do when the file cannot be
    imported (too large, empty, not a known format...): nothing is stored.
    """
    format = _check_format(format)
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > settings.IMPORT_MAX_UPLOAD_BYTES:
        megabytes = settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError(f"The file is larger than {megabytes} MB.")
    opened = open_checked(uploaded_file, format)
    uploaded_file.seek(0)
    job = ImportJob(
        id=new_import_id(),
        user_id=user.pk,
        format=opened.format.key,
        file_name=(os.path.basename(file_name or "") or "import")[:255],
    )
    job.stored_name = default_storage.save(
        stored_name(user.pk, job.pk, job.file_name), uploaded_file
    )
    return _queue_new(job)


def import_start_stored(
    *, user, name: str, file_name: str, format: str | None = None
) -> ImportJob:
    """Queue the import of a file uploaded straight to storage (S3) at ``name``.

    ``name`` must be one the reader was given for their own upload; a file
    that cannot be imported is refused with its message and deleted.
    """
    format = _check_format(format)
    if not name.startswith(f"private/{user.pk}/uploads/") or ".." in name:
        raise ValidationError("That upload is not yours; upload the file again.")
    try:
        size = default_storage.size(name)
    except Exception:  # the object is missing: its upload never finished
        raise ValidationError("The file did not arrive; upload it again.") from None
    try:
        if size > settings.IMPORT_MAX_UPLOAD_BYTES:
            megabytes = settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)
            raise ValidationError(f"The file is larger than {megabytes} MB.")
        with default_storage.open(name, "rb") as data:
            opened = open_checked(data, format)
    except ValidationError:
        default_storage.delete(name)
        raise
    job = ImportJob(
        id=new_import_id(),
        user_id=user.pk,
        format=opened.format.key,
        file_name=(os.path.basename(file_name or "") or "import")[:255],
        stored_name=name,
    )
    return _queue_new(job)


def _queue_new(job: ImportJob) -> ImportJob:
    job.created_at = job.heartbeat_at = timezone.now()
    ImportJob.objects.add(job)
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: ImportJob, *, takeover: bool = False) -> bool:
    """Queue the import's run; log (never raise) when the queue fails."""
    from worker.tasks import run_import

    try:
        run_import.enqueue(job.user_id, job.pk, takeover)
    except Exception:
        # The import keeps its heartbeat: the sweep queues it again.
        logger.exception("Could not queue import %s; the sweep will retry", job.pk)
        return False
    return True


def imports_sweep(*, now: datetime | None = None) -> list[str]:
    """Queue again the imports no worker has moved for ``STALE_AFTER``.

    Returns their ids. A run that finds the import taken by another stops at
    once, so queuing one twice does no harm.
    """
    before = (now or timezone.now()) - STALE_AFTER
    stale = ImportJob.objects.stale(before, _SWEEP_BATCH)
    for job in stale:
        _enqueue(job, takeover=True)
    return [job.pk for job in stale]


# Running an import -------------------------------------------------------------


def import_run(
    *,
    user_id: int,
    import_id: str,
    seconds: float | None = None,
    takeover: bool = False,
):
    """Import the rows not imported yet, chunk by chunk; return the import.

    After ``seconds`` (``IMPORT_RUN_SECONDS``) the run queues the rest and
    returns, so no single run outlasts a worker's time limit. Does nothing
    for an import that is finished, or that a run holds with a fresh
    heartbeat (a message delivered twice) unless the sweep sent it
    (``takeover``): that run's next progress write then fails and it stops.
    """
    try:
        job = ImportJob.objects.get_for_user(user_id, import_id)
    except ImportJob.DoesNotExist:
        return None
    if job.finished:
        return job
    fresh = job.heartbeat_at > timezone.now() - STALE_AFTER
    if job.state == ImportState.RUNNING and fresh and not takeover:
        return job
    job.state, job.heartbeat_at = ImportState.RUNNING, timezone.now()
    if not ImportJob.objects.save_progress(job, version=job.version):
        return job  # another run took it a moment ago
    try:
        user = User.objects.get_by_id(user_id)
        data = default_storage.open(job.stored_name, "rb")
    except (User.DoesNotExist, OSError) as exc:
        logger.warning("Import %s cannot run: %s", job.pk, exc)
        return _stop(job, "The uploaded file is gone; upload it again.")
    with data:
        try:
            opened = open_import(data, format=job.format)
            if not job.total:
                job.total = opened.count()
        except ImportFileError as exc:
            return _stop(job, _error(exc))
        return _Run(user, job, opened, seconds).run()


def _stop(job: ImportJob, message: str) -> ImportJob:
    job.state, job.message = ImportState.FAILED, message
    job.finished_at = job.heartbeat_at = timezone.now()
    ImportJob.objects.save_progress(job, version=job.version)
    return job


@dataclass
class _Addition:
    """A row checked and ready to add: its book (new or stored) and record fields."""

    row: ImportRow
    key: str
    book: Book
    fields: dict[str, Any]
    proposed: UserBook  # the record as it would be stored, for size messages


class _Run:
    """One run of an import: from its ``next_index`` until done or out of time."""

    def __init__(self, user, job: ImportJob, opened: ImportFile, seconds):
        self.user, self.job, self.file = user, job, opened
        limit = settings.IMPORT_RUN_SECONDS if seconds is None else seconds
        self.deadline = timezone.now() + timedelta(seconds=limit)
        self.finder = DuplicateFinder()
        self.to_fetch: list[str] = []
        self.to_queue: list[str] = []
        self.pending: dict[str, Any] = {}
        # The reader's books without an ISBN by title_key, read when first needed.
        self.by_hand: dict[str, str] | None = None
        # The time of day of every record this import adds (see the module).
        self.stamp = job.created_at.astimezone(UTC).timetz()

    def run(self) -> ImportJob:
        job, chunk, last = self.job, [], []
        for result in self.file.rows(0):
            if result.index < job.next_index:
                if isinstance(result, ImportRow):
                    self.finder.first_line(result)
                    if result.index >= job.next_index - CHUNK_ROWS:
                        last.append(result)
                continue
            if last:  # a run stopped after its last chunk, maybe before its photos
                self._photos(last)
                last = []
            chunk.append(result)
            if len(chunk) < CHUNK_ROWS:
                continue
            if not self._chunk(chunk):
                return job  # another run took over
            chunk = []
            if timezone.now() >= self.deadline:
                # Handed on: the next run takes it at once.
                self._request_metadata(last=True)
                job.state = ImportState.QUEUED
                if ImportJob.objects.save_progress(job, version=job.version):
                    _enqueue(job)
                return job
        if chunk and not self._chunk(chunk):
            return job
        if last:
            self._photos(last)
        self._request_metadata(last=True)
        job.state, job.finished_at = ImportState.DONE, timezone.now()
        job.total = max(job.total, job.next_index)
        job.heartbeat_at = job.finished_at
        ImportJob.objects.save_progress(job, version=job.version)
        return job

    def _chunk(self, results: list) -> bool:
        """Import these rows, then save the progress; False if another run has it.

        On the ORM the chunk is one transaction (its bulk inserts, or each row
        added alone, a savepoint in it).
        """
        with transaction.atomic():
            saved = self._import_chunk(results)
            if not saved:
                transaction.set_rollback(True)  # another run has it: its rows
            else:
                self._photos(results)
            return saved

    def _photos(self, results: list) -> None:
        """Restore the cover photos of the records these rows added (export ZIP)."""
        wanted = [
            import_covers.Wanted(row, self._key(row), self._added_at(row))
            for row in results
            if isinstance(row, ImportRow) and row.cover
        ]
        restored = import_covers.restore_covers(
            user=self.user, opened=self.file, wanted=wanted
        )
        for row, reason in restored:
            self._warned(row.span, reason)

    def _import_chunk(self, results: list) -> bool:
        job, rows = self.job, []
        first_error, first_warning = len(job.errors), len(job.warnings)
        for result in results:
            if isinstance(result, RowError):
                self._failed(result.span, result.reason)
            elif self._repeated(result):
                job.duplicate += 1
            else:
                rows.append(result)
        keys = {id(row): self._key(row) for row in rows}
        wanted = list(dict.fromkeys(keys.values()))
        existing = UserBook.objects.for_keys(self.user, wanted)
        books = Book.objects.get_many([k for k in wanted if k not in existing])
        self.pending = new_book_pending()
        additions: list[_Addition] = []
        planned: set[str] = set()
        again = []  # rows of a key another row of the chunk adds
        for row in rows:
            key = keys[id(row)]
            if key in existing:
                self._count_existing(existing[key], row)
            elif key in planned:
                again.append(row)
            else:
                try:
                    additions.append(self._prepare(row, key, books.get(key)))
                except ValidationError as exc:
                    self._failed(row.span, _error(exc))
                else:
                    planned.add(key)
        self._add_all(additions, existing)
        for row in again:
            key = keys[id(row)]
            if key in existing:
                self._count_existing(existing[key], row)
                continue
            try:
                self._add_one(self._prepare(row, key, books.get(key)), existing)
            except ValidationError as exc:
                self._failed(row.span, _error(exc))
        # Errors and warnings in the order of the file, whichever path found them.
        job.errors[first_error:] = sorted(
            job.errors[first_error:], key=lambda error: error["index"]
        )
        job.warnings[first_warning:] = sorted(
            job.warnings[first_warning:], key=lambda warning: warning["index"]
        )
        self._request_metadata()
        job.next_index = results[-1].index + 1
        job.heartbeat_at = timezone.now()
        return ImportJob.objects.save_progress(job, version=job.version)

    def _add_all(self, additions: list["_Addition"], existing: dict) -> None:
        """Add the chunk's new records together; one by one if any is refused."""
        if not additions:
            return
        try:
            done = UserBook.objects.add_many(
                self.user, [(a.book, a.fields) for a in additions]
            )
        except (ValueError, DatabaseError):
            # Nothing was added: each row on its own, to find the one refused.
            for addition in additions:
                try:
                    self._add_one(addition, existing)
                except ValidationError as exc:
                    self._failed(addition.row.span, _error(exc))
            return
        for addition, added in zip(additions, done, strict=True):
            self._added(addition, added, existing)

    def _add_one(self, addition: "_Addition", existing: dict) -> None:
        """Add one row's record alone; ValidationError if refused."""
        with transaction.atomic(), records.refusing_too_large(addition.proposed):
            stored, created = Book.objects.get_or_create_book(addition.book)
            try:
                record = UserBook.objects.add(self.user, stored, **addition.fields)
            except AlreadyInLibrary as exc:
                added = Added(exc.existing, added=False, book_created=created)
            else:
                added = Added(record, added=True, book_created=created)
        self._added(addition, added, existing)

    def _added(self, addition: "_Addition", added: Added, existing: dict) -> None:
        """Count what adding a row did, record its loans, note what to fetch."""
        existing[addition.key] = added.record
        if not added.added:
            self._count_existing(added.record, addition.row)
        else:
            self.job.imported += 1
            self._row_warnings(addition.row)
            self._loans(addition.row, addition.key)
        book = added.record.book
        if not book.isbn13:
            return
        if added.book_created:
            self.to_queue.append(book.pk)  # stored pending: only its job is due
        elif book.metadata_status in _FETCH_AGAIN:
            self.to_fetch.append(book.pk)

    def _failed(self, span: Span, reason: str) -> None:
        job = self.job
        job.failed += 1
        if len(job.errors) < ERRORS_KEPT:
            job.errors.append(
                {
                    "index": span.index,
                    "line": span.line,
                    "end_line": span.end_line,
                    "reason": _error(reason),
                }
            )

    def _warned(self, span: Span, reason: str) -> None:
        job = self.job
        job.warned += 1
        if len(job.warnings) < WARNINGS_KEPT:
            job.warnings.append(
                {
                    "index": span.index,
                    "line": span.line,
                    "end_line": span.end_line,
                    "reason": _error(reason),
                }
            )

    def _row_warnings(self, row: ImportRow) -> None:
        """Keep what reading the row left out or changed (an imported row's)."""
        for reason in row.warnings:
            self._warned(row.span, reason)

    def _repeated(self, row: ImportRow) -> bool:
        """Tell whether an earlier row of the file is the same book (warned)."""
        first = self.finder.first_line(row)
        if first is None:
            return False
        self._warned(
            row.span,
            f"the same book as line {first} (the first wins): this row was left out.",
        )
        return True

    def _key(self, row: ImportRow) -> str:
        """The book's key: its ISBN-13, the key of the reader's book without one
        that has its title and authors, or one its title and authors always give."""
        if row.isbn13:
            return row.isbn13
        words = title_key(row.title, row.authors)
        if not words:
            row.warnings.append(
                "no ISBN and no letters or digits in the title to know the book "
                "by: importing this file again adds it again."
            )
            return new_manual_key()
        if self.by_hand is None:
            self.by_hand = {}
            for key, title, authors in UserBook.objects.typed_by_hand(self.user):
                self.by_hand.setdefault(title_key(title, authors), key)
        if words in self.by_hand:
            return self.by_hand[words]
        digest = salted_hmac(
            "catalog.imports.manual_key",
            f"{self.user.pk}|{words}",
            algorithm="sha256",
        ).hexdigest()
        return MANUAL_KEY_PREFIX + digest[:16].upper()

    def _added_at(self, row: ImportRow) -> datetime:
        if row.added_on is None:
            return self.job.created_at
        return datetime.combine(row.added_on, self.stamp)

    def _count_existing(self, record: UserBook, row: ImportRow) -> None:
        if record.added_at == self._added_at(row):
            self.job.imported += 1  # added by this import, in a run cut short
            self._row_warnings(row)
        else:
            self.job.already += 1

    def _details(self, row: ImportRow) -> dict[str, Any]:
        values = {
            "title": row.title,
            "subtitle": row.subtitle,
            "authors": list(row.authors),
            "publisher": row.publisher,
            "publish_date": row.published,
            "pages": row.pages,
            "language": row.language,
            "description": row.description,
            "series": [{"name": s.name, "position": s.position} for s in row.series],
        }
        return {k: v for k, v in values.items() if v not in ("", None, [])}

    def _readings(self, row: ImportRow) -> dict[str, Any]:
        """The row's readings, and the status and dates they give the record."""
        history = [
            {
                **readings.new(
                    number, _OUTCOMES[one.outcome], one.started_on, one.finished_on
                ),
                "progress_page": one.progress_page,
                "progress_percent": one.progress_percent,
            }
            for number, one in enumerate(row.readings, start=1)
        ]
        if not history:
            history = readings.from_status(row.status, None, None)
        readings.check(history, pages=row.pages)
        return {"readings": history, **readings.derive(history, row.status)}

    def _shelf(self, row: ImportRow) -> dict[str, Any]:
        history = self._readings(row)
        notes = row.notes.strip()
        if row.review.strip():
            review = "Review:\n" + row.review.strip()
            notes = f"{notes}\n\n{review}" if notes else review
        shelf = records.clean(
            {
                "status": history["status"],
                "rating": row.rating,
                "owned": True if row.owned is None else row.owned,
                "location": row.location,
                "notes": notes,
                "tags": list(row.tags),
                "started_on": history["started_on"],
                "finished_on": history["finished_on"],
            }
        )
        return {**shelf, "readings": history["readings"]}

    def _prepare(self, row: ImportRow, key: str, book: Book | None) -> "_Addition":
        """Check the row's record (and its edition when new); ValidationError if bad."""
        details = clean_corrections(self._details(row))
        shelf = self._shelf(row)
        if book is not None:
            candidate = book
        elif row.isbn13:
            # Stored already asking for its details (see ``new_book_pending``).
            candidate = Book(key=key, isbn13=key, **self.pending)
        else:
            typed = {k: v for k, v in details.items() if k != "series"}
            candidate = Book(
                key=key,
                metadata_status=MetadataStatus.MANUAL,
                edited_fields=sorted(typed),
                **typed,
            )
        corrections = (
            details
            if row.isbn13
            else {k: v for k, v in details.items() if k == "series"}
        )
        proposed = UserBook(
            user=self.user, book=candidate, corrections=corrections, **shelf
        )
        records.check_size(proposed)
        fields = {"corrections": corrections, "added_at": self._added_at(row), **shelf}
        return _Addition(row, key, candidate, fields, proposed)

    def _loans(self, row: ImportRow, key: str) -> None:
        """Record the row's loans, returned ones first; a loan refused is warned."""
        loans = sorted(row.loans, key=lambda loan: loan.returned_on is None)
        for loan in loans:
            lent = False
            try:
                if loan.direction == BORROWED:
                    loan_borrow(
                        user=self.user,
                        book_key=key,
                        person=loan.person,
                        lent_on=loan.lent_on,
                        due_on=loan.due_on,
                        note=loan.note,
                    )
                else:
                    loan_lend(
                        user=self.user,
                        book_key=key,
                        person=loan.person,
                        email=loan.email,
                        remind_person=loan.remind_person,
                        lent_on=loan.lent_on,
                        due_on=loan.due_on,
                        note=loan.note,
                    )
                lent = True
                if loan.returned_on:
                    loan_return(
                        user=self.user, book_key=key, returned_on=loan.returned_on
                    )
            except ValidationError as exc:
                self._warned(row.span, _loan_refused(loan, lent, exc))

    def _request_metadata(self, *, last: bool = False) -> None:
        """Queue the fetch of the chunk's new editions, and ask again for failed ones.

        New editions are stored pending with their sweep check time: their
        jobs are queued after the chunk's commit, 25 books a job, with no
        further write. Fewer than 25 left over wait for the next chunk, so
        every job but the run's ``last`` is a full Open Library batch; a run
        stopped before queuing them leaves them to the sweep. A stored
        edition whose fetch failed is marked pending again first
        (``book_request_metadata``).
        """
        whole = len(self.to_queue)
        if not last:
            whole -= whole % METADATA_BATCH
        new, self.to_queue = self.to_queue[:whole], self.to_queue[whole:]
        books_queue_fetch(book_keys=new)
        keys, self.to_fetch = self.to_fetch, []
        for start in range(0, len(keys), METADATA_BATCH):
            book_request_metadata(book_keys=keys[start : start + METADATA_BATCH])


def _loan_refused(loan: ImportLoan, lent: bool, exc: ValidationError) -> str:
    """Say which of the row's loans was not recorded, and why."""
    who = loan.person or "someone unnamed"
    loan_name = (
        f"the loan from {who}" if loan.direction == BORROWED else f"the loan to {who}"
    )
    what = f"the return of {loan_name}" if lent else loan_name
    return f"{what} was not recorded: {_error(exc)}"


def imports_remove_all(*, user) -> int:
    """Delete the user's imports and their files (their account is going)."""
    jobs = ImportJob.objects.remove_all_for_user(user)
    for name in {job.stored_name for job in jobs if job.stored_name}:
        default_storage.delete(name)
    return len(jobs)


# The failed rows ---------------------------------------------------------------


def import_failed_rows(*, job: ImportJob, out: IO[bytes]) -> int:
    """Write the import's failed rows to ``out`` in the file's own format.

    Returns how many rows were written (none when the file is gone).
    """
    spans = [Span(e["index"], e["line"], e["end_line"]) for e in job.errors]
    if not spans:
        return 0
    try:
        with default_storage.open(job.stored_name, "rb") as data:
            return open_import(data, format=job.format).write_failed(spans, out)
    except (OSError, ImportFileError):
        return 0
