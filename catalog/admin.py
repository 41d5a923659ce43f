import copy

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from accounts.models import User
from booklibrary.dynamo_utils import ItemTooLarge
from booklibrary.manager_admin import ManagerAdminMixin, SaveRefused
from catalog import services
from catalog.admin_forms import STALE_MESSAGE, BookAdminForm, UserBookAdminForm
from catalog.backends import get_backend
from catalog.backends.base import LOAN_EDITABLE, StaleEdit
from catalog.imports import FORMATS
from catalog.models import Book, ImportJob, Loan, UserBook

# What a change of readings, status or dates writes beside them.
_DERIVED = ("status", "started_on", "finished_on", "readings")
# How many of a protected book's owners the admin names before counting.
PROTECTED_NAMED = 10


class CatalogAdminMixin(ManagerAdminMixin):
    """Django's admin on SQL; the manager layer where the catalog is in DynamoDB."""

    def uses_orm(self) -> bool:
        return get_backend().uses_orm


class ValuesListFilter(admin.AllValuesFieldListFilter):
    """A field's stored values to filter by; a blank one is named, not an empty link."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] == "":
                choice = {**choice, "display": "(blank)"}
            yield choice


@admin.register(Book)
class BookAdmin(CatalogAdminMixin, admin.ModelAdmin):
    form = BookAdminForm
    list_display = (
        "key",
        "title",
        "authors_display",
        "publisher",
        "publish_date",
        "metadata_status",
        "metadata_source",
        "fetched_at",
    )
    list_filter = (
        "metadata_status",
        ("metadata_source", ValuesListFilter),
        ("language", ValuesListFilter),
    )
    search_fields = ("key", "isbn13", "title", "subtitle", "authors", "publisher")
    # The sweep's bookkeeping is shown, never typed in.
    readonly_fields = (
        "key",
        "created_at",
        "updated_at",
        "fetched_at",
        "metadata_requested_at",
        "metadata_check_at",
        "metadata_attempts",
    )
    date_hierarchy = "created_at"
    manager_list_filter = ("metadata_status",)

    def has_add_permission(self, request, *args, **kwargs):
        # An edition comes in through the services (a reader adds it by ISBN or
        # by hand), which key it by its ISBN and fetch its details; a book typed
        # here would have no key.
        return False

    def save_model(self, request, obj, form, change):
        # Through the manager, so owners' sort and search keys follow the edit.
        try:
            Book.objects.save_book(obj)
        except ItemTooLarge as exc:
            raise SaveRefused(str(exc)) from exc

    def manager_objects(self, request) -> list[Book]:
        return Book.objects.all_books()

    def manager_get_object(self, object_id: str) -> Book:
        return Book.objects.get_by_key(object_id)

    def manager_delete(self, obj: Book) -> None:
        Book.objects.delete_book(obj.pk)

    def manager_protected(self, obj: Book) -> list[str]:
        # As SQL's PROTECT: a book in someone's library stays. Owners are named
        # (a read each) up to a few; the rest are counted.
        owners = Book.objects.owner_ids(obj.pk)
        named = [
            f"User book: {User.objects.get_by_id(user_id)} / {obj}"
            for user_id in owners[:PROTECTED_NAMED]
        ]
        if len(owners) > PROTECTED_NAMED:
            named.append(
                f"and {len(owners) - PROTECTED_NAMED} more copies in other libraries"
            )
        return named

    @admin.display(description="Authors")
    def authors_display(self, obj: Book) -> str:
        return obj.authors_display


@admin.register(UserBook)
class UserBookAdmin(CatalogAdminMixin, admin.ModelAdmin):
    list_display = (
        "book",
        "user",
        "status",
        "rating",
        "owned",
        "location",
        "added_at",
        "finished_on",
        "readings_count",
    )
    list_filter = ("status", "owned", "rating", "added_at")
    search_fields = ("book__title", "book__isbn13", "user__username", "location")
    list_select_related = ("book", "user")
    form = UserBookAdminForm
    # Whose record of which book, and when it was added, are facts of the
    # record; the reader's own corrections are theirs to edit (their book page).
    readonly_fields = (
        "user",
        "book",
        "added_at",
        "version",
        "corrections",
        "sort_title",
        "sort_author",
        "search_text",
        "series_names",
        "sort_series",
        "updated_at",
    )
    date_hierarchy = "added_at"
    manager_list_filter = ("status", "owned", "added_at")

    def has_add_permission(self, request, *args, **kwargs):
        # A record is added by its reader (by ISBN, scan, photo or by hand),
        # through the services that fetch the book's details; the admin only
        # corrects and removes records.
        return False

    def save_model(self, request, obj, form, change):
        # The form checked the changes (``UserBookAdminForm.clean``); the
        # service writes them at the version the page was opened with.
        if form.series_change is not None:
            self._save_series(obj, form)
        if not form.record_changes:
            return
        try:
            saved = services.userbook_update(
                user=obj.user,
                book_key=obj.book_id,
                version=form.cleaned_data["loaded_version"],
                changes=form.record_changes,
            )
        except StaleEdit as exc:  # changed between the form's check and now
            raise SaveRefused(STALE_MESSAGE) from exc
        except ItemTooLarge as exc:
            raise SaveRefused(str(exc), field="notes") from exc
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise SaveRefused(messages, field=field) from exc
        for name in (*form.record_changes, "version", *_DERIVED):
            setattr(obj, name, getattr(saved, name))

    def _save_series(self, obj, form) -> None:
        """Write the reader's series correction through their corrections' service."""
        own = dict(obj.corrections or {})
        try:
            done = services.userbook_correct(
                user=obj.user,
                book_key=obj.book_id,
                version=form.cleaned_data["loaded_version"],
                loaded=own,
                corrections={**own, "series": form.series_change or None},
            )
        except (StaleEdit, services.CorrectionConflict) as exc:
            raise SaveRefused(STALE_MESSAGE) from exc
        except ValidationError as exc:
            raise SaveRefused(exc.messages, field="series_correction") from exc
        form.cleaned_data["loaded_version"] = done.record.version
        obj.corrections, obj.version = done.record.corrections, done.record.version

    # In DynamoDB a record's id is its owner's id and its book's key.

    def manager_objects(self, request) -> list[UserBook]:
        users = {user.pk: user for user in User.objects.all_users()}
        records = UserBook.objects.all_records()
        for record in records:
            record.user = users.get(record.user_id) or User(id=record.user_id)
            record.id = f"{record.user_id}:{record.book_id}"
        return records

    def manager_get_object(self, object_id: str) -> UserBook:
        user_id, _, key = object_id.partition(":")
        user = User.objects.get_by_id(user_id)
        record = UserBook.objects.get_for_user(user, key)
        record.user = user
        record.id = f"{user.pk}:{key}"
        return record

    def manager_delete(self, obj: UserBook) -> None:
        UserBook.objects.remove_for_user(obj.user, obj.book_id)

    @admin.display(description="Readings")
    def readings_count(self, obj: UserBook) -> int:
        return len(obj.reading_history)


@admin.register(Loan)
class LoanAdmin(CatalogAdminMixin, admin.ModelAdmin):
    """Loans: their details may be corrected here; lending and returning are the
    reader's, on the book page (the services keep one open loan per copy)."""

    list_display = (
        "book_key",
        "user",
        "direction",
        "person",
        "lent_on",
        "due_on",
        "returned_on",
    )
    list_filter = ("direction", "lent_on", "due_on")
    search_fields = ("book_key", "person", "email", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "lent_on"
    manager_list_filter = ("direction", "lent_on", "due_on")
    fields = (
        "user",
        "book_key",
        "direction",
        "person",
        "email",
        "remind_person",
        "lent_on",
        "due_on",
        "returned_on",
        "note",
        "created_at",
        "reminded_on",
    )
    readonly_fields = (
        "user",
        "book_key",
        "direction",
        "lent_on",
        "returned_on",
        "created_at",
        "reminded_on",
    )

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        names = [n for n in form.changed_data if n in LOAN_EDITABLE]
        if not names:
            return
        loan = copy.copy(obj)
        if not self.uses_orm():
            loan.id = str(obj.pk).rsplit(":", 1)[-1]
        try:
            services.loan_update(user=obj.user, loan=loan, names=names)
        except Loan.DoesNotExist as exc:
            raise SaveRefused("This loan is gone.") from exc
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise SaveRefused(messages, field=field) from exc

    # In DynamoDB a loan's admin id is its owner's id, book key and loan id.

    def manager_objects(self, request) -> list[Loan]:
        users = {user.pk: user for user in User.objects.all_users()}
        loans = Loan.objects.all_loans()
        for loan in loans:
            loan.user = users.get(loan.user_id) or User(id=loan.user_id)
            loan.id = f"{loan.user_id}:{loan.book_key}:{loan.id}"
        return loans

    def manager_get_object(self, object_id: str) -> Loan:
        user_id, key, loan_id = object_id.split(":", 2)
        user = User.objects.get_by_id(user_id)
        for loan in Loan.objects.for_book(user, key):
            if loan.id == loan_id:
                loan.id = object_id
                return loan
        raise Loan.DoesNotExist(object_id)

    def manager_delete(self, obj: Loan) -> None:
        raise PermissionError("Loans are not deleted from the admin.")


class ImportFormatFilter(admin.SimpleListFilter):
    """The formats an import reads; a SQL filter, or the manager's on DynamoDB."""

    title = "format"
    parameter_name = "format"

    def lookups(self, request, model_admin):
        return [(key, fmt.label) for key, fmt in FORMATS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(format=value) if value else queryset


def _where(row: dict) -> str:
    line, end = row.get("line"), row.get("end_line")
    return f"Line {line}" if line == end else f"Lines {line} to {end}"


def _row_lines(rows: list[dict]) -> str:
    """An import's errors or warnings as its page lists them: line and reason."""
    if not rows:
        return "None"
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li>{}: {}</li>",
            ((_where(row), row.get("reason", "")) for row in rows),
        ),
    )


@admin.register(ImportJob)
class ImportJobAdmin(CatalogAdminMixin, admin.ModelAdmin):
    """Imports, read only: a reader starts one on their Import page and the
    worker (and its sweep) runs it; nothing here writes to one."""

    list_display = (
        "file_name",
        "user",
        "format",
        "state",
        "total",
        "imported",
        "already",
        "duplicate",
        "failed",
        "warned",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", ImportFormatFilter, "created_at")
    search_fields = ("file_name", "user__username", "id")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    manager_list_filter = ("state", ImportFormatFilter, "created_at")
    fields = (
        "user",
        "file_name",
        "format",
        "state",
        "message",
        "total",
        "next_index",
        "imported",
        "already",
        "duplicate",
        "failed",
        "warned",
        "error_lines",
        "warning_lines",
        "created_at",
        "heartbeat_at",
        "finished_at",
        "stored_name",
    )
    readonly_fields = fields

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Errors (the first kept)")
    def error_lines(self, obj: ImportJob) -> str:
        return _row_lines(obj.errors)

    @admin.display(description="Warnings (the first kept)")
    def warning_lines(self, obj: ImportJob) -> str:
        return _row_lines(obj.warnings)

    # In DynamoDB an import's admin id is its owner's id and its import id.

    def manager_objects(self, request) -> list[ImportJob]:
        users = {user.pk: user for user in User.objects.all_users()}
        jobs = ImportJob.objects.all_imports()
        for job in jobs:
            job.user = users.get(job.user_id) or User(id=job.user_id)
            job.id = f"{job.user_id}:{job.id}"
        return jobs

    def manager_get_object(self, object_id: str) -> ImportJob:
        user_id, _, import_id = object_id.partition(":")
        job = ImportJob.objects.get_for_user(int(user_id), import_id)
        job.user = User.objects.get_by_id(user_id)
        job.id = f"{job.user_id}:{import_id}"
        return job

    def manager_delete(self, obj: ImportJob) -> None:
        raise PermissionError("Imports are not deleted from the admin.")
