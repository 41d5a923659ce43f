"""Recompute the records' search keys: ISBN-10s, apostrophes and punctuation.

Records stored before keep the keys of the older format until rewritten here,
with the one function that computes them for every new write. On DynamoDB the
same is done by ``manage.py refresh_search_keys``.
"""

from django.db import migrations

from catalog.backends.base import listing_fields

BATCH = 500


def refresh_keys(apps, schema_editor):
    UserBook = apps.get_model("catalog", "UserBook")
    names = ["sort_title", "sort_author", "search_text"]
    records = UserBook._base_manager.select_related("book").order_by("pk")
    last = 0
    while page := list(records.filter(pk__gt=last)[:BATCH]):
        last = page[-1].pk
        changed = []
        for record in page:
            fields = listing_fields(record.book, record.corrections, record.provisional)
            # Only the keys this schema has (later ones come with their own).
            fields = {name: fields[name] for name in names}
            if any(getattr(record, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(record, name, value)
                changed.append(record)
        UserBook._base_manager.bulk_update(changed, names)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_userbook_corrections"),
    ]

    operations = [
        migrations.RunPython(refresh_keys, migrations.RunPython.noop, elidable=True),
    ]
