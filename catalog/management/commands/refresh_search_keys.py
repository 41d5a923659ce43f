"""manage.py refresh_search_keys: recompute every record's sort and search keys."""

from django.core.management.base import BaseCommand

from catalog.services.search_keys import KeysRefresh, userbooks_refresh_keys


class Command(BaseCommand):
    help = (
        "Recompute the sort and search keys of every book in every library (after "
        "an upgrade that changes how they are made), in steps of --batch records. "
        "Only out-of-date records are written: idempotent, and a run cut short is "
        "finished by the next. Reads every record (a Scan on DynamoDB): run it "
        "once after the upgrade, off-peak."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the records that would be rewritten; write nothing.",
        )
        parser.add_argument(
            "--batch", type=int, default=100, help="Records read per step (1-1000)."
        )

    def handle(self, *args, dry_run: bool, batch: int, **options):
        batch = min(max(batch, 1), 1000)
        self.verb = "to rewrite" if dry_run else "rewritten"
        done = userbooks_refresh_keys(
            dry_run=dry_run, batch=batch, progress=self._progress
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{done.read} records read, {done.rewritten} {self.verb}, "
                f"{done.read - done.rewritten} already up to date."
            )
        )

    def _progress(self, done: KeysRefresh) -> None:
        self.stdout.write(f"  {done.read} read, {done.rewritten} {self.verb}")
