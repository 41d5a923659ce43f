from django.contrib import admin

from accounts.models import User
from booklibrary.manager_admin import ManagerAdminMixin
from catalog.backends import get_backend
from catalog.backends.base import listing_fields
from catalog.models import Book, UserBook

# How many of a protected book's owners the admin names before counting.
PROTECTED_NAMED = 10


class CatalogAdminMixin(ManagerAdminMixin):
    """Django's admin on SQL; the manager layer where the catalog is in DynamoDB."""

    def uses_orm(self) -> bool:
        return get_backend().uses_orm


@admin.register(Book)
class BookAdmin(CatalogAdminMixin, admin.ModelAdmin):
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
    list_filter = ("metadata_status", "metadata_source", "language")
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

    def save_model(self, request, obj, form, change):
        # Through the manager, so owners' sort and search keys follow the edit.
        Book.objects.save_book(obj)

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
    )
    list_filter = ("status", "owned", "rating", "added_at")
    search_fields = ("book__title", "book__isbn13", "user__username", "location")
    list_select_related = ("book", "user")
    raw_id_fields = ("book", "user")
    readonly_fields = (
        "version",
        "sort_title",
        "sort_author",
        "search_text",
        "updated_at",
    )
    date_hierarchy = "added_at"
    manager_list_filter = ("status", "owned", "added_at")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if self.uses_orm():
            return fields
        # Records are keyed by owner and book in DynamoDB: neither can move.
        return ("book", "user", *fields)

    def save_model(self, request, obj, form, change):
        if not self.uses_orm():
            changes = {name: getattr(obj, name) for name in form.changed_data}
            if changes:
                updated = UserBook.objects.update_for_user(
                    obj.user, obj.book_id, version=obj.version, changes=changes
                )
                obj.version = updated.version
            return
        own = listing_fields(obj.book, obj.corrections, obj.provisional)
        for name, value in own.items():
            setattr(obj, name, value)
        if change:
            # An admin edit makes any form open elsewhere stale, as a user's would.
            obj.version += 1
        super().save_model(request, obj, form, change)

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
