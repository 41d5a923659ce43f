"""What the page benchmarks start with: Django on a scratch SQLite database.

    from benchenv import setup_django
    setup_django()

The test settings (no network, fast password hashing), a new migrated SQLite
file in a temporary folder, and Django's test environment (so the test client
records templates and contexts as in the tests).
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(**environ: str) -> None:
    """Set up Django for a benchmark; ``environ`` adds environment variables."""
    sys.path.insert(0, str(ROOT))
    database = Path(tempfile.mkdtemp(prefix="booklibrary-bench-")) / "bench.sqlite3"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "booklibrary.settings.test",
            "TEST_DATABASE_URL": f"sqlite:///{database}",
            **environ,
        }
    )
    import django

    django.setup()

    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
