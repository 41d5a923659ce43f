"""manage.py store_readings: write the readings of records stored before them."""

from django.core.management.base import BaseCommand

from catalog.services.readings import userbooks_store_readings
from catalog.services.search_keys import KeysRefresh


class Command(BaseCommand):
    help = (
        "Store the readings of every record kept before books had readings (its "
        "status and dates become its one reading), in steps of --batch records. "
        "Such records already show as if migrated; this writes it down. Only "
        "records without readings are written, each only if no edit changed it "
        "meanwhile: idempotent, and a run cut short is finished by the next. "
        "Reads every record (a Scan on DynamoDB): run it once, off-peak."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the records that would be written; write nothing.",
        )
        parser.add_argument(
            "--batch", type=int, default=100, help="Records read per step (1-1000)."
        )

    def handle(self, *args, dry_run: bool, batch: int, **options):
        batch = min(max(batch, 1), 1000)
        self.verb = "to write" if dry_run else "written"
        done = userbooks_store_readings(
            dry_run=dry_run, batch=batch, progress=self._progress
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{done.read} records read, {done.rewritten} {self.verb}, "
                f"{done.read - done.rewritten} already had their readings."
            )
        )

    def _progress(self, done: KeysRefresh) -> None:
        self.stdout.write(f"  {done.read} read, {done.rewritten} {self.verb}")
