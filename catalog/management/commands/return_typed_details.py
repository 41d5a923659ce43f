"""manage.py return_typed_details: typed fields of shared editions back to readers."""

from django.core.management.base import BaseCommand

from catalog.services.typed_details import (
    book_return_typed_details,
    books_with_typed_details,
)


class Command(BaseCommand):
    help = (
        "Move the details readers typed into shared editions (books added by hand "
        "with an ISBN before corrections were kept per reader) to the record of "
        "the reader who typed them, and fetch those editions again. Idempotent. "
        "Reads the whole Books table (a Scan on DynamoDB): run it once, off-peak."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the editions; change nothing."
        )

    def handle(self, *args, dry_run: bool, **options):
        books = books_with_typed_details()
        self.stdout.write(f"{len(books)} shared editions hold typed details.")
        for n, book in enumerate(books, start=1):
            fields = ", ".join(book.edited_fields)
            if dry_run:
                self.stdout.write(f"  {book.pk}: {fields}")
                continue
            record = book_return_typed_details(book_key=book.pk)
            owner = f"reader {record.user_id}" if record else "no library"
            self.stdout.write(f"  [{n}/{len(books)}] {book.pk}: {fields} -> {owner}")
        if not dry_run and books:
            self.stdout.write(self.style.SUCCESS("Done; their details are fetched."))
