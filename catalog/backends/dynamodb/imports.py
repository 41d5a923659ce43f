"""Imports in DynamoDB: items in the Users table (see ``booklibrary.dynamodb``).

``IMPORT#<user id>#<import id>`` is the import itself, rewritten whole by each
progress write on the condition that its ``version`` is the one read;
``IMPORTS#<user id>`` holds the set of the user's import ids (their Import
page reads it, then the newest imports in one BatchGet), and
``IMPORTS#unfinished`` the set of ``<user id>#<import id>`` of every import
not finished yet: the sweep's work list, read without a Scan. An import joins
both sets in the transaction that stores it and leaves the second in the one
that finishes it.
"""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from booklibrary import dynamodb
from booklibrary.dynamo_utils import (
    batch_delete,
    batch_get,
    cancellation_codes,
    error_code,
    from_attribute,
    scan_all,
    to_attribute,
    transact_write,
)
from catalog.backends.dynamodb.items import userbooks_table, users_table
from catalog.backends.orm_imports import UNFINISHED
from catalog.models import MANUAL_KEY_PREFIX, Book, ImportJob
from catalog.shown import ShownBook

_COUNTS = (
    "total",
    "next_index",
    "imported",
    "already",
    "duplicate",
    "failed",
    "warned",
)
_LISTS = ("errors", "warnings")
_TEXT = ("format", "file_name", "stored_name", "state", "message")
UNFINISHED_PK = "IMPORTS#unfinished"


def job_pk(user_id: int, import_id: str) -> str:
    return f"IMPORT#{user_id}#{import_id}"


def list_pk(user_id: int) -> str:
    return f"IMPORTS#{user_id}"


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


def _ref(job: ImportJob) -> str:
    return f"{job.user_id}#{job.pk}"


def job_item(job: ImportJob) -> dict[str, Any]:
    """Return an import as its item."""
    item: dict[str, Any] = {
        "pk": {"S": job_pk(job.user_id, job.pk)},
        "id": {"S": job.pk},
        "user_id": {"N": str(job.user_id)},
        "version": {"N": str(job.version)},
        "created_at": {"S": job.created_at.isoformat()},
        "heartbeat_at": {"S": job.heartbeat_at.isoformat()},
    }
    for name in _TEXT:
        item[name] = {"S": getattr(job, name)}
    for name in _COUNTS:
        item[name] = {"N": str(getattr(job, name))}
    for name in _LISTS:
        item[name] = to_attribute(list(getattr(job, name)))
    if job.finished_at:
        item["finished_at"] = {"S": job.finished_at.isoformat()}
    return item


def job_from_item(item: dict[str, Any]) -> ImportJob:
    """Return the import an item holds."""
    finished = item.get("finished_at", {}).get("S")
    # An import stored before warnings were kept has none.
    empty = {"N": "0"}
    return ImportJob(
        id=item["id"]["S"],
        user_id=int(item["user_id"]["N"]),
        version=int(item["version"]["N"]),
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        heartbeat_at=datetime.fromisoformat(item["heartbeat_at"]["S"]),
        finished_at=datetime.fromisoformat(finished) if finished else None,
        **{name: item[name]["S"] for name in _TEXT},
        **{name: int(item.get(name, empty)["N"]) for name in _COUNTS},
        **{
            name: list(from_attribute(item[name], plain=True)) if name in item else []
            for name in _LISTS
        },
    )


def _set_update(pk: str, verb: str, name: str, value: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": users_table(),
            "Key": _key(pk),
            "UpdateExpression": f"{verb} #s :v",
            "ExpressionAttributeNames": {"#s": name},
            "ExpressionAttributeValues": {":v": {"SS": [value]}},
        }
    }


class DynamoImports:
    """Mixed into the DynamoDB catalog backend."""

    def add_import(self, job: ImportJob) -> ImportJob:
        table = users_table()
        put = {
            "Put": {
                "TableName": table,
                "Item": job_item(job),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        actions = [put, _set_update(list_pk(job.user_id), "ADD", "ids", job.pk)]
        if job.state in UNFINISHED:
            actions.append(_set_update(UNFINISHED_PK, "ADD", "jobs", _ref(job)))
        transact_write(dynamodb.client(), actions)
        return job

    def get_import(self, user_id: int, import_id: str) -> ImportJob:
        pk = job_pk(user_id, import_id)
        if len(pk.encode()) > 1024:
            raise LookupError("No such import.")
        answer = dynamodb.client().get_item(
            TableName=users_table(), Key=_key(pk), ConsistentRead=True
        )
        if "Item" not in answer:
            raise LookupError("No such import.")
        return job_from_item(answer["Item"])

    def imports_for_user(self, user: Any, limit: int) -> list[ImportJob]:
        client, table = dynamodb.client(), users_table()
        answer = client.get_item(
            TableName=table, Key=_key(list_pk(user.pk)), ConsistentRead=True
        )
        ids = sorted(answer.get("Item", {}).get("ids", {}).get("SS", []))
        newest = ids[::-1][:limit]
        if not newest:
            return []
        keys = [_key(job_pk(user.pk, i)) for i in newest]
        found = batch_get(client, {table: keys}, consistent=True)[table]
        jobs = [job_from_item(item) for item in found]
        return sorted(jobs, key=lambda j: (j.created_at, j.pk), reverse=True)

    def save_import(self, job: ImportJob, version: int) -> bool:
        job.version = version + 1
        put = {
            "TableName": users_table(),
            "Item": job_item(job),
            "ConditionExpression": "#v = :v",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":v": {"N": str(version)}},
        }
        client = dynamodb.client()
        try:
            if job.state in UNFINISHED:
                client.put_item(**put)
            else:
                leave = _set_update(UNFINISHED_PK, "DELETE", "jobs", _ref(job))
                transact_write(client, [{"Put": put}, leave])
        except ClientError as exc:
            job.version = version
            lost = error_code(exc) == "ConditionalCheckFailedException"
            if lost or cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def delete_imports(self, user: Any) -> list[ImportJob]:
        client, table = dynamodb.client(), users_table()
        answer = client.get_item(
            TableName=table, Key=_key(list_pk(user.pk)), ConsistentRead=True
        )
        ids = answer.get("Item", {}).get("ids", {}).get("SS", [])
        keys = [_key(job_pk(user.pk, i)) for i in ids]
        found = batch_get(client, {table: keys}, consistent=True)[table] if ids else []
        jobs = [job_from_item(item) for item in found]
        if ids:
            refs = {"SS": [f"{user.pk}#{i}" for i in ids]}
            client.update_item(
                TableName=table,
                Key=_key(UNFINISHED_PK),
                UpdateExpression="DELETE #s :v",
                ExpressionAttributeNames={"#s": "jobs"},
                ExpressionAttributeValues={":v": refs},
            )
        batch_delete(client, table, [*keys, _key(list_pk(user.pk))])
        return jobs

    def all_imports(self) -> list[ImportJob]:
        """Every import: a Scan of the Users table, for the admin's listing only."""
        items = scan_all(
            dynamodb.client(),
            TableName=users_table(),
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": "IMPORT#"}},
        )
        jobs = [job_from_item(item) for item in items]
        return sorted(jobs, key=lambda j: (j.created_at, j.pk), reverse=True)

    def typed_by_hand(self, user: Any) -> list[tuple[str, str, list[str]]]:
        """Return the key, title and authors the reader sees of each book they
        have without an ISBN.

        A Query of the reader's partition of UserBooks on the key prefix of
        books typed by hand (``book_key`` begins with ``M``; ISBN keys are
        digits), projected to the key and the reader's own values: a page per
        1 MB of those records, then their books in BatchGets of 100. It costs
        in proportion to the reader's books without an ISBN, never to their
        whole library, and no Scan.
        """
        paginator = dynamodb.client().get_paginator("query")
        items = [
            item
            for page in paginator.paginate(
                TableName=userbooks_table(),
                KeyConditionExpression="user_id = :u AND begins_with(book_key, :m)",
                ExpressionAttributeValues={
                    ":u": {"N": str(user.pk)},
                    ":m": {"S": MANUAL_KEY_PREFIX},
                },
                ProjectionExpression="book_key, corrections, provisional",
                ConsistentRead=True,
            )
            for item in page.get("Items", [])
        ]
        books = self.get_books([item["book_key"]["S"] for item in items])
        found = []
        for item in items:
            key = item["book_key"]["S"]
            shown = ShownBook(
                books.get(key) or Book(key=key),
                _plain(item, "corrections"),
                _plain(item, "provisional"),
            )
            found.append((key, shown.title or "", list(shown.authors or [])))
        return sorted(found)

    def stale_imports(self, before: datetime, limit: int) -> list[ImportJob]:
        client, table = dynamodb.client(), users_table()
        answer = client.get_item(
            TableName=table, Key=_key(UNFINISHED_PK), ConsistentRead=True
        )
        refs = sorted(answer.get("Item", {}).get("jobs", {}).get("SS", []))
        keys = []
        for ref in refs:
            user_id, _, import_id = ref.partition("#")
            keys.append(_key(job_pk(int(user_id), import_id)))
        found = batch_get(client, {table: keys}, consistent=True)[table] if keys else []
        jobs = [job_from_item(item) for item in found]
        stale = [j for j in jobs if j.state in UNFINISHED and j.heartbeat_at < before]
        stale.sort(key=lambda j: (j.heartbeat_at, j.pk))
        return stale[:limit]


def _plain(item: dict[str, Any], name: str) -> dict[str, Any]:
    value = from_attribute(item[name], plain=True) if name in item else None
    return value if isinstance(value, dict) else {}
