"""manage.py rebuild_counters: count readers' tags and locations from their records."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from catalog.services.counters import counters_rebuild


class Command(BaseCommand):
    help = (
        "Count the tags and locations of every reader (or of --user) from their "
        "records, for the tags and locations pages on DynamoDB (after the upgrade "
        "that brought the counters). Idempotent; with --missing only readers "
        "without counters are counted. Reads every reader's records (and a Scan "
        "of the users without --user): run it off-peak."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="The username of one reader.")
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only readers whose counters are not kept yet.",
        )

    def handle(self, *args, user: str | None, missing: bool, **options):
        if user:
            try:
                readers = [User.objects.get_by_natural_key(user)]
            except User.DoesNotExist:
                raise CommandError(f"No reader {user!r}.") from None
        else:
            readers = User.objects.all_users()
        done = 0
        for reader in readers:
            if counters_rebuild(user=reader, only_missing=missing):
                done += 1
                self.stdout.write(f"  {reader.username}: counted")
        self.stdout.write(
            self.style.SUCCESS(f"{done} of {len(readers)} readers counted.")
        )
