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
        "the reader who typed them (the one whose hand entry created the edition; "
        "when that reader no longer holds it, the typed text is dropped, never "
        "given to another reader), and fetch those editions again. Typed covers "
        "are taken off the edition; their files stay in media storage, listed for "
        "an administrator. Idempotent. "
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
            result = book_return_typed_details(book_key=book.pk)
            self.stdout.write(
                f"  [{n}/{len(books)}] {book.pk}: {fields} -> {_outcome(result)}"
            )
        if not dry_run and books:
            self.stdout.write(
                self.style.SUCCESS(
                    "Done; the editions are fetched again. Typed cover files "
                    "listed above stay in media storage for an administrator."
                )
            )


def _outcome(result) -> str:
    if result.no_creator:
        said = "dropped: the reader who typed them no longer holds the book"
    elif result.record is not None:
        said = f"reader {result.record.user_id}"
    elif result.returned:
        said = "no library"
    else:
        said = "no typed fields"
    if result.cover_left:
        said += f"; typed cover taken off the edition (file kept: {result.cover_left})"
    return said
