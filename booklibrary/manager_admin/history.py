"""The admin's history (Django's LogEntry) where accounts live in DynamoDB.

Locally the admin writes ``django_admin_log`` rows as usual. On AWS mode the
SQL database is a throwaway file in Lambda's /tmp, so what an administrator did
is kept in the Users table instead, in two items per entry:

* ``ADMINLOG#OBJ#<app>.<model>#<object id>``: the object's history page;
* ``ADMINLOG#USER#<user id>``: "My actions" on the admin's index page.

Each holds a list of entries, newest last, trimmed to the last ``KEEP``. The
entries come back as unsaved ``LogEntry`` objects, so Django's templates show
them unchanged.
"""

import json
from datetime import UTC, datetime
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from booklibrary import dynamodb

# Entries kept per object and per administrator.
KEEP = 100


def _table() -> str:
    return dynamodb.table_name(dynamodb.USERS)


def _object_key(model: type[models.Model], object_id: Any) -> dict:
    label = model._meta.label_lower
    return {"pk": {"S": f"ADMINLOG#OBJ#{label}#{object_id}"}}


def _user_key(user_id: int) -> dict:
    return {"pk": {"S": f"ADMINLOG#USER#{user_id}"}}


def record(user: Any, obj: models.Model, action_flag: int, message: Any = "") -> None:
    """Keep one admin action on ``obj`` by ``user`` (a LogEntry's worth)."""
    if isinstance(message, list):
        message = json.dumps(message)
    entry = {
        "M": {
            "t": {"S": datetime.now(UTC).isoformat()},
            "u": {"N": str(user.pk)},
            "n": {"S": user.get_username()},
            "f": {"N": str(action_flag)},
            "m": {"S": message or ""},
            "c": {"S": type(obj)._meta.label_lower},
            "o": {"S": str(obj.pk)},
            "r": {"S": str(obj)[:200]},
        }
    }
    for key in (_object_key(type(obj), obj.pk), _user_key(user.pk)):
        _append(key, entry)


def _append(key: dict, entry: dict) -> None:
    client = dynamodb.client()
    answer = client.update_item(
        TableName=_table(),
        Key=key,
        UpdateExpression="SET entries = list_append(if_not_exists(entries, :none), "
        ":new)",
        ExpressionAttributeValues={":none": {"L": []}, ":new": {"L": [entry]}},
        ReturnValues="UPDATED_NEW",
    )
    excess = len(answer["Attributes"]["entries"]["L"]) - KEEP
    if excess > 0:
        client.update_item(
            TableName=_table(),
            Key=key,
            UpdateExpression="REMOVE "
            + ", ".join(f"entries[{index}]" for index in range(excess)),
        )


def _entries(key: dict) -> list[LogEntry]:
    from accounts.models import User

    item = dynamodb.client().get_item(TableName=_table(), Key=key, ConsistentRead=True)
    entries = []
    for value in item.get("Item", {}).get("entries", {}).get("L", []):
        fields = {name: next(iter(raw.values())) for name, raw in value["M"].items()}
        app_label, model_name = fields["c"].split(".", 1)
        entry = LogEntry(
            action_time=datetime.fromisoformat(fields["t"]),
            user_id=int(fields["u"]),
            content_type=ContentType.objects.get_by_natural_key(app_label, model_name),
            object_id=fields["o"],
            object_repr=fields["r"],
            action_flag=int(fields["f"]),
            change_message=fields["m"],
        )
        # The admin's name as it was; reaching the user would query SQL.
        entry.user = User(id=entry.user_id, username=fields["n"])
        entries.append(entry)
    return entries


def for_object(model: type[models.Model], object_id: Any) -> list[LogEntry]:
    """Return the object's admin history, oldest first."""
    return _entries(_object_key(model, object_id))


def recent_for_user(user: Any, limit: int = 10) -> list[LogEntry]:
    """Return the administrator's latest actions, newest first."""
    return _entries(_user_key(user.pk))[::-1][:limit]
