from django.db import migrations, models

# As catalog.readings.from_status when this migration was written.
OUTCOME_OF = {"reading": "reading", "read": "finished", "dnf": "dnf"}


def _reading(outcome, started_on, finished_on):
    return {
        "id": 1,
        "started_on": started_on.isoformat() if started_on else None,
        "finished_on": finished_on.isoformat() if finished_on else None,
        "outcome": outcome,
        "progress_page": None,
        "progress_percent": None,
    }


def fill_readings(apps, schema_editor):
    """Give every record the reading its status and dates stand for.

    "Want to read" with dates kept them from an earlier reading: it becomes a
    closed reading, and the record still wants to be read.
    """
    UserBook = apps.get_model("catalog", "UserBook")
    changed = []
    records = UserBook.objects.only("pk", "status", "started_on", "finished_on")
    for record in records.iterator(chunk_size=500):
        started, finished = record.started_on, record.finished_on
        if record.status in OUTCOME_OF:
            outcome = OUTCOME_OF[record.status]
        elif started or finished:
            outcome = "finished" if finished else "dnf"
        else:
            continue
        record.readings = [_reading(outcome, started, finished)]
        changed.append(record)
    UserBook.objects.bulk_update(changed, ["readings"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0009_userbook_location_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="userbook",
            name="readings",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill_readings, migrations.RunPython.noop),
    ]
