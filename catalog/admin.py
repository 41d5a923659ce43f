from django.contrib import admin

from catalog.backends.base import listing_fields
from catalog.models import Book, UserBook


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
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
    readonly_fields = ("key", "created_at", "updated_at", "fetched_at")
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        # Through the manager, so owners' sort and search keys follow the edit.
        Book.objects.save_book(obj)

    @admin.display(description="Authors")
    def authors_display(self, obj: Book) -> str:
        return obj.authors_display


@admin.register(UserBook)
class UserBookAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        for name, value in listing_fields(obj.book).items():
            setattr(obj, name, value)
        if change:
            # An admin edit makes any form open elsewhere stale, as a user's would.
            obj.version += 1
        super().save_model(request, obj, form, change)
