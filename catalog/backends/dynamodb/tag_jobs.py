"""Tag jobs in DynamoDB: one item per reader in the Users table.

``TAGJOB#<user id>`` holds the reader's job (running, or the last finished).
``TAGJOBS#running`` lists the readers whose job runs (a string set of user
ids, moved in the same transaction as a job's start and end): the sweep reads
it with one GetItem and the jobs with one BatchGetItem, never a Scan. It holds
only the jobs running at one moment (some eight bytes each).
"""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from booklibrary import dynamodb
from booklibrary.dynamo_utils import (
    batch_get,
    cancellation_codes,
    error_code,
    transact_write,
)
from catalog.backends.base import TagJob, TagJobRunning
from catalog.backends.dynamodb.items import users_table

RUNNING = {"pk": {"S": "TAGJOBS#running"}}
_NUMBERS = ("total", "done", "changed", "skipped")


def job_key(user_id: int) -> dict[str, Any]:
    """Return the key of the reader's job item."""
    return {"pk": {"S": f"TAGJOB#{user_id}"}}


def _item(job: TagJob) -> dict[str, Any]:
    item = {
        **job_key(job.user_id),
        "user_id": {"N": str(job.user_id)},
        "token": {"S": job.token},
        "kind": {"S": job.kind},
        "old": {"S": job.old},
        "new": {"S": job.new},
        "cursor": {"S": job.cursor},
        "running": {"BOOL": job.running},
        "created_at": {"S": job.created_at.isoformat()},
        "heartbeat_at": {"S": job.heartbeat_at.isoformat()},
    }
    for name in _NUMBERS:
        item[name] = {"N": str(getattr(job, name))}
    if job.finished_at:
        item["finished_at"] = {"S": job.finished_at.isoformat()}
    return item


def _job(item: dict[str, Any]) -> TagJob:
    finished = item.get("finished_at", {}).get("S")
    return TagJob(
        user_id=int(item["user_id"]["N"]),
        token=item["token"]["S"],
        kind=item["kind"]["S"],
        old=item["old"]["S"],
        new=item["new"]["S"],
        cursor=item["cursor"]["S"],
        running=item["running"]["BOOL"],
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        heartbeat_at=datetime.fromisoformat(item["heartbeat_at"]["S"]),
        finished_at=datetime.fromisoformat(finished) if finished else None,
        **{name: int(item[name]["N"]) for name in _NUMBERS},
    )


def _running_set(user_id: int, verb: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": users_table(),
            "Key": RUNNING,
            "UpdateExpression": f"{verb} #u :u",
            "ExpressionAttributeNames": {"#u": "users"},
            "ExpressionAttributeValues": {":u": {"SS": [str(user_id)]}},
        }
    }


class DynamoTagJobs:
    """Mixed into the DynamoDB catalog backend."""

    def start_tag_job(self, user: Any, job: TagJob) -> TagJob:
        """Put the job unless one runs (one transaction with the running list)."""
        actions = [
            {
                "Put": {
                    "TableName": users_table(),
                    "Item": _item(job),
                    "ConditionExpression": "attribute_not_exists(pk) OR #r = :no",
                    "ExpressionAttributeNames": {"#r": "running"},
                    "ExpressionAttributeValues": {":no": {"BOOL": False}},
                }
            },
            _running_set(user.pk, "ADD"),
        ]
        try:
            transact_write(dynamodb.client(), actions)
        except ClientError as exc:
            if cancellation_codes(exc)[:1] != ["ConditionalCheckFailed"]:
                raise
            running = self.get_tag_job(user)
            if running is None:
                raise
            raise TagJobRunning(running) from None
        return job

    def get_tag_job(self, user: Any) -> TagJob | None:
        """One GetItem."""
        answer = dynamodb.client().get_item(
            TableName=users_table(), Key=job_key(user.pk), ConsistentRead=True
        )
        return _job(answer["Item"]) if "Item" in answer else None

    def save_tag_job(self, job: TagJob, *, seen: datetime) -> bool:
        """Put the job if its stored token and heartbeat are as read."""
        put = {
            "TableName": users_table(),
            "Item": _item(job),
            "ConditionExpression": "#t = :t AND #r = :yes AND #h = :seen",
            "ExpressionAttributeNames": {
                "#t": "token",
                "#r": "running",
                "#h": "heartbeat_at",
            },
            "ExpressionAttributeValues": {
                ":t": {"S": job.token},
                ":yes": {"BOOL": True},
                ":seen": {"S": seen.isoformat()},
            },
        }
        try:
            if job.running:
                dynamodb.client().put_item(**put)
            else:
                actions = [{"Put": put}, _running_set(job.user_id, "DELETE")]
                transact_write(dynamodb.client(), actions)
        except ClientError as exc:
            failed = error_code(exc) == "ConditionalCheckFailedException"
            if failed or cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def stalled_tag_jobs(self, beat_before: datetime, limit: int) -> list[TagJob]:
        """One GetItem of the running list, one BatchGetItem of its jobs."""
        client, table = dynamodb.client(), users_table()
        answer = client.get_item(TableName=table, Key=RUNNING, ConsistentRead=True)
        ids = sorted(answer.get("Item", {}).get("users", {}).get("SS", []))
        if not ids:
            return []
        found = batch_get(
            client, {table: [job_key(int(i)) for i in ids[:100]]}, consistent=True
        )[table]
        jobs = [_job(item) for item in found]
        over = {str(j.user_id) for j in jobs if j.running}
        for user_id in set(ids[:100]) - over:
            # Listed but not running (finished between the reads, or lost).
            client.update_item(**_running_set(int(user_id), "DELETE")["Update"])
        stalled = [j for j in jobs if j.running and j.heartbeat_at < beat_before]
        return sorted(stalled, key=lambda j: j.heartbeat_at)[:limit]
