"""Catalog models: a Book is one edition; a UserBook is one person's copy of it.

Reads go through the managers (``Book.objects``, ``UserBook.objects``), which
delegate to the configured catalog backend; see ``catalog.backends``.
"""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from catalog.managers import (
    BookManager,
    ImportJobManager,
    LoanManager,
    UserBookManager,
)
from catalog.shown import ShownBook

MANUAL_KEY_PREFIX = "M"


def new_manual_key() -> str:
    """Return a key for a book that has no ISBN (never collides with ISBN-13s)."""
    return MANUAL_KEY_PREFIX + uuid.uuid4().hex[:16].upper()


class MetadataStatus(models.TextChoices):
    PENDING = "pending", "Fetching details"
    COMPLETE = "complete", "Complete"
    NOT_FOUND = "not_found", "Not found"
    FAILED = "failed", "Failed"
    MANUAL = "manual", "Entered by hand"


class Book(models.Model):
    """One edition of a book, keyed by its ISBN-13 (or a generated key)."""

    key = models.CharField(primary_key=True, max_length=20, editable=False)
    isbn13 = models.CharField("ISBN-13", max_length=13, blank=True, db_index=True)
    title = models.CharField(max_length=500, blank=True)
    subtitle = models.CharField(max_length=500, blank=True)
    authors = models.JSONField(default=list, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    publish_date = models.CharField(max_length=50, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)
    subjects = models.JSONField(default=list, blank=True)
    # The series the providers name, as ``catalog.series`` stores them:
    # [{"name": "Dune Chronicles", "position": "1"}].
    series = models.JSONField(default=list, blank=True)
    cover = models.ImageField(upload_to="covers/", blank=True)
    cover_thumb = models.ImageField(upload_to="covers/", blank=True)
    provider_ids = models.JSONField(default=dict, blank=True)
    metadata_status = models.CharField(
        max_length=20, choices=MetadataStatus.choices, default=MetadataStatus.PENDING
    )
    metadata_source = models.CharField(max_length=100, blank=True)
    metadata_error = models.CharField(max_length=500, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    # The book record is the source of truth for metadata work: while pending,
    # the sweep (``books_sweep_metadata``) queues the work again once
    # ``metadata_check_at`` passes, ``metadata_attempts`` times at most.
    metadata_requested_at = models.DateTimeField(null=True, blank=True)
    metadata_check_at = models.DateTimeField(null=True, blank=True)
    metadata_attempts = models.PositiveSmallIntegerField(default=0)
    edited_fields = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookManager()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(
                fields=["metadata_status", "metadata_check_at"],
                name="book_pending_check",
            )
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or (f"ISBN {self.isbn13}" if self.isbn13 else "Untitled")

    @property
    def authors_display(self) -> str:
        return ", ".join(self.authors or [])

    @property
    def is_pending(self) -> bool:
        return self.metadata_status == MetadataStatus.PENDING

    @property
    def is_slow(self) -> bool:
        """Whether fetching its details is taking longer than it usually does."""
        if not self.is_pending:
            return False
        # Books pending from before requests were timed count from creation.
        since = self.metadata_requested_at or self.created_at
        waited = timezone.now() - since
        return waited.total_seconds() > settings.METADATA_SLOW_AFTER_SECONDS

    @property
    def metadata_trouble(self) -> str:
        """While still trying: why the last try failed ("" when it did not)."""
        return self.metadata_error if self.is_pending else ""

    @property
    def can_retry_metadata(self) -> bool:
        """Whether to offer "try again": the fetch failed, found nothing or is slow."""
        if not self.isbn13:
            return False
        return self.is_slow or self.metadata_status in (
            MetadataStatus.FAILED,
            MetadataStatus.NOT_FOUND,
        )


class ReadingStatus(models.TextChoices):
    WANT = "want", "Want to read"
    READING = "reading", "Reading"
    READ = "read", "Read"
    DNF = "dnf", "Did not finish"


# Values with one decimal place, as the column stores them: a stored 5.0 is
# the choice "5.0", not "5".
RATING_CHOICES = [
    ((Decimal(half) / 2).quantize(Decimal("0.1")), f"{Decimal(half) / 2:.1f} stars")
    for half in range(1, 11)
]


class UserBook(models.Model):
    """One person's record of a book: status, rating, notes, dates, shelf."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="userbooks"
    )
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="userbooks")
    status = models.CharField(
        max_length=10, choices=ReadingStatus.choices, default=ReadingStatus.WANT
    )
    rating = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        choices=RATING_CHOICES,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(5)],
    )
    notes = models.TextField(blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    started_on = models.DateField(null=True, blank=True)
    finished_on = models.DateField(null=True, blank=True)
    location = models.CharField(
        max_length=200, blank=True, help_text="Where the book stands."
    )
    owned = models.BooleanField(
        default=True, help_text="Owned, or on the wishlist if unticked."
    )
    version = models.PositiveIntegerField(default=1)
    # The reader's own corrections of the book's details, only the fields they
    # corrected (see ``catalog.shown``); never shown to anyone else.
    corrections = models.JSONField(default=dict, blank=True)
    # What the reader's add showed (a search result's title and authors),
    # shown only while the book has no details of its own.
    provisional = models.JSONField(default=dict, blank=True, editable=False)
    # Denormalised from the book so that lists sort and search on one table,
    # in the ORM and in DynamoDB alike; kept current by the backend.
    sort_title = models.CharField(max_length=500, blank=True, editable=False)
    sort_author = models.CharField(max_length=600, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    # The reader's own tags as first typed (``catalog.tags``), and their keys
    # between bars ("|fantasy|sci fi|") that a listing filters on.
    tags = models.JSONField(default=list, blank=True)
    tag_keys = models.TextField(blank=True, editable=False)
    # The location's key (``catalog.locations``): what a location filter and
    # the reader's list of locations compare.
    location_key = models.CharField(max_length=200, blank=True, editable=False)
    # The keys of the series the reader sees the book in ("|dune chronicles|"),
    # their names ("Dune Chronicles|Dune") and its "Series" sort value
    # (``catalog.series``), kept by the backend.
    series_keys = models.TextField(blank=True, editable=False)
    series_names = models.TextField(blank=True, editable=False)
    sort_series = models.CharField(max_length=800, blank=True, editable=False)
    # Every reading, oldest first (``catalog.readings``); ``status`` and the
    # dates above are the latest one's, derived by the services.
    readings = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserBookManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "book"], name="catalog_userbook_user_book_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=Decimal("0.5"), rating__lte=5),
                name="catalog_userbook_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-added_at", "-id"], name="ub_user_added"),
            models.Index(fields=["user", "sort_title", "id"], name="ub_user_title"),
            models.Index(fields=["user", "sort_author", "id"], name="ub_user_author"),
            models.Index(fields=["user", "status"], name="ub_user_status"),
            models.Index(fields=["user", "location_key"], name="ub_user_location"),
            models.Index(fields=["user", "sort_series", "id"], name="ub_user_series"),
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.book}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:book-detail", kwargs={"key": self.book_id})

    @property
    def shown(self) -> ShownBook:
        """The book as this reader sees it: their corrections, else the details."""
        return ShownBook(self.book, self.corrections, self.provisional)

    @property
    def reading_history(self) -> list[dict]:
        """Every reading, oldest first (derived for a record stored before them)."""
        from catalog import readings

        return readings.history(self)

    @property
    def readings_shown(self) -> list:
        """The readings as the book page lists them, newest first."""
        from catalog import readings

        return readings.shown(self.reading_history, readings.pages_of(self))

    @property
    def times_read(self) -> int:
        """How many readings were finished."""
        return sum(r["outcome"] == "finished" for r in self.reading_history)

    @property
    def current_reading(self) -> dict | None:
        """The reading going on now, if any."""
        from catalog import readings

        last = readings.latest(self.reading_history)
        return last if readings.is_open(last) else None

    @property
    def progress(self):
        """How far into the current reading (``readings.Progress``), or None."""
        from catalog import readings

        return readings.progress(self.current_reading, readings.pages_of(self))

    @property
    def progress_typed(self) -> str:
        """The current reading's progress as its box shows it ("120", "45%")."""
        from catalog import readings

        return readings.progress_input(self.current_reading)

    @property
    def stars(self) -> list[str]:
        """Five entries of "full", "half" or "empty" for the rating display."""
        halves = int((self.rating or 0) * 2)
        return [
            "full"
            if halves >= 2 * i + 2
            else "half"
            if halves == 2 * i + 1
            else "empty"
            for i in range(5)
        ]


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's JSON encoder, keeping a datetime's microseconds (it drops them)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


class RemovedRecords(models.Model):
    """Records a reader removed, held so that the removal can be undone.

    ``payload`` holds each record as Django's serializer writes it (same id,
    added date, corrections); the cleanup deletes the row and only then the
    private cover ``files`` once ``held_until`` has passed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    held_until = models.DateTimeField(db_index=True)
    keys = models.JSONField(default=list)
    titles = models.JSONField(default=list)
    files = models.JSONField(default=list)
    payload = models.JSONField(default=list, encoder=ExactJSONEncoder)

    class Meta:
        verbose_name = "removal held for undo"
        verbose_name_plural = "removals held for undo"

    def __str__(self) -> str:
        return f"{self.user_id}: {len(self.keys)} removed"


def new_loan_id() -> str:
    return uuid.uuid4().hex


class LoanDirection(models.TextChoices):
    LENT = "lent", "Lent out"
    BORROWED = "borrowed", "Borrowed"


class Loan(models.Model):
    """A copy lent to someone, or a book borrowed from someone.

    Open while ``returned_on`` is unset; a record has at most one open loan.
    Loans stay after they are returned: the book page shows their history.
    ``reminded_on`` is the last day a reminder about it was sent.
    """

    id = models.CharField(
        primary_key=True, max_length=32, default=new_loan_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loans"
    )
    book_key = models.CharField(max_length=20)
    direction = models.CharField(
        max_length=10, choices=LoanDirection.choices, default=LoanDirection.LENT
    )
    person = models.CharField("name", max_length=200)
    email = models.EmailField(blank=True)
    remind_person = models.BooleanField(
        default=False, help_text="Also send the reminders to this email."
    )
    lent_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reminded_on = models.DateField(null=True, blank=True, editable=False)

    objects = LoanManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "book_key"],
                condition=models.Q(returned_on__isnull=True),
                name="catalog_loan_one_open_per_record",
            )
        ]
        indexes = [
            models.Index(fields=["user", "book_key", "created_at"], name="loan_book"),
            models.Index(
                fields=["user", "direction", "returned_on", "due_on"],
                name="loan_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book_key} {self.get_direction_display().lower()}: {self.person}"

    @property
    def is_open(self) -> bool:
        return self.returned_on is None

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_open
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )


class TagChangeKind(models.TextChoices):
    RENAME = "rename", "Rename a tag"
    DELETE = "delete", "Delete a tag"
    LOCATION = "location", "Rename a location"


class TagChangeRow(models.Model):
    """A change of one tag or location across a reader's library, run by the worker.

    One row per reader (a second change waits for the first). The worker saves
    ``done`` and ``cursor`` (where the next batch starts) after each batch and
    beats ``heartbeat_at``; the sweep queues again a job whose beat stopped.
    See ``catalog.services.tag_jobs``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=TagChangeKind.choices)
    old = models.CharField(max_length=200)
    new = models.CharField(max_length=200, blank=True)
    running = models.BooleanField(default=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    cursor = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "tag change"
        indexes = [models.Index(fields=["running", "heartbeat_at"], name="tag_job_due")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} {self.old!r}"


def new_import_id() -> str:
    """Return an import's id: its start time first, so ids sort oldest first."""
    return timezone.now().strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:8]


class ImportState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped"


class ImportJob(models.Model):
    """One import of a file into a reader's library: the job's source of truth.

    ``next_index`` is the first row not yet imported; the counts and
    ``errors`` (each ``{"index", "line", "end_line", "reason"}``, the first
    ``catalog.services.imports.ERRORS_KEPT`` of them) and ``warnings`` (the
    same shape: a row with something of it left out or changed,
    ``warned`` counting them) are saved with it after
    every chunk in one conditional write on ``version``, so a worker stopped
    midway is resumed from there. ``heartbeat_at`` tells the sweep which
    imports no worker is running any more.
    """

    id = models.CharField(
        primary_key=True, max_length=32, default=new_import_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports"
    )
    format = models.CharField(max_length=30)
    file_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255)
    state = models.CharField(
        max_length=10, choices=ImportState.choices, default=ImportState.QUEUED
    )
    message = models.CharField(max_length=500, blank=True)
    total = models.PositiveIntegerField(default=0)
    next_index = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    already = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warned = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobManager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="import_user"),
            models.Index(fields=["state", "heartbeat_at"], name="import_stale"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.next_index * 100 // self.total)

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)
