"""manage.py migrate_to_dynamo: copy the local library into DynamoDB."""

from django.core.management.base import BaseCommand, CommandError

from catalog import dynamo_copy


class Command(BaseCommand):
    help = (
        "Copy the local library (users with their password hashes, books, user "
        "books) into the DynamoDB tables of BOOKLIBRARY_ENV, then check parity. "
        "Idempotent and resumable: only missing or different items are written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be written; write nothing.",
        )
        parser.add_argument(
            "--skip-parity", action="store_true", help="Skip the final parity check."
        )

    def handle(self, *args, dry_run: bool, skip_parity: bool, **options):
        self.stdout.write(
            "Copying the local library" + (" (dry run)" if dry_run else "")
        )
        report = dynamo_copy.copy_library(dry_run=dry_run, progress=self._progress)
        verb = "would write" if dry_run else "wrote"
        for name, written in report.written.items():
            self.stdout.write(
                f"  {name}: {verb} {written}, unchanged {report.unchanged[name]}"
            )
        if not any(report.written.values()):
            self.stdout.write(
                self.style.SUCCESS("Nothing to do: DynamoDB is up to date.")
            )
        if dry_run or skip_parity:
            return
        self.stdout.write("Checking parity")
        parity = dynamo_copy.check_parity()
        for name, (local, remote) in parity.counts.items():
            self.stdout.write(f"  {name}: {local} locally, {remote} in DynamoDB")
        if not parity.ok:
            for line in parity.mismatches[:50]:
                self.stderr.write(f"  {line}")
            raise CommandError(
                f"Parity check failed: {len(parity.mismatches)} differences."
            )
        self.stdout.write(
            self.style.SUCCESS("Parity check passed: every item matches.")
        )

    def _progress(self, name: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        self.stdout.write(f"\r  {name:<10} [{bar}] {done}/{total}", ending=end)
        self.stdout.flush()
