"""A reader's tag and location counters, rebuilt from their records.

On DynamoDB the tags and locations pages read counters kept with every record
write (``catalog.backends.dynamodb.tallies``); records stored before the
counters existed are counted by a rebuild. The ORM counts with SQL and has
nothing to rebuild.
"""

import logging

from catalog.models import UserBook

logger = logging.getLogger(__name__)


def counters_rebuild(*, user, only_missing: bool = False) -> bool:
    """Count the reader's tags and locations again; return whether it did.

    With ``only_missing`` a reader whose counters are kept already is left
    alone. Idempotent: running it again stores the same counters.
    """
    if only_missing and UserBook.objects.counters_built(user):
        return False
    UserBook.objects.rebuild_counters(user)
    return True


def counters_rebuild_later(*, user) -> bool:
    """Queue the rebuild of the reader's counters unless they are kept already.

    Returns whether it was queued. Queuing never fails the caller: the reader
    may ask again, and ``manage.py rebuild_counters`` counts every reader.
    """
    from worker.tasks import rebuild_counters

    if UserBook.objects.counters_built(user):
        return False
    try:
        rebuild_counters.enqueue(user.pk)
    except Exception:
        logger.exception("Could not queue counting the tags of reader %s", user.pk)
        return False
    return True
