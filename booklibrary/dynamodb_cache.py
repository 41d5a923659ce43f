"""A Django cache backend on DynamoDB, for AWS mode's shared state (throttles).

Every Lambda container is its own process, so a per-process cache would let
each one count attempts on its own. This backend keeps entries as
``CACHE#<key>`` items in the Users table, whose TTL attribute ``expires``
removes them; since TTL can lag by hours, expiry is also checked on every
read and write. Integers are stored as numbers so that ``incr`` is one atomic
UpdateItem; other values are pickled.

    CACHES = {"default": {"BACKEND": "booklibrary.dynamodb_cache.DynamoDBCache"}}
"""

import pickle
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from booklibrary import dynamodb

# An entry still counts while its expiry is in the future (or it has none).
_LIVE = "attribute_exists(pk) AND (attribute_not_exists(expires) OR expires > :now)"


class DynamoDBCache(BaseCache):
    """The subset of Django's cache API the app uses: get, set, add, incr, delete."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _table(self) -> str:
        return dynamodb.table_name(dynamodb.USERS)

    def _pk(self, key: str, version: int | None) -> dict:
        key = self.make_and_validate_key(key, version=version)
        return {"pk": {"S": f"CACHE#{key}"}}

    def _item(self, key: str, value: Any, timeout: Any, version: int | None) -> dict:
        item = self._pk(key, version)
        if isinstance(value, int) and not isinstance(value, bool):
            item["n"] = {"N": str(value)}
        else:
            item["v"] = {"B": pickle.dumps(value, pickle.HIGHEST_PROTOCOL)}
        expires = self.get_backend_timeout(timeout)
        if expires is not None:
            item["expires"] = {"N": str(int(expires))}
        return item

    @staticmethod
    def _now() -> dict:
        return {":now": {"N": str(int(time.time()))}}

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        """Return the live value under ``key``, or ``default``."""
        item = (
            dynamodb.client()
            .get_item(
                TableName=self._table(),
                Key=self._pk(key, version),
                ConsistentRead=True,
            )
            .get("Item")
        )
        if (
            item is None
            or float(item.get("expires", {}).get("N", "inf")) <= time.time()
        ):
            return default
        if "n" in item:
            return int(item["n"]["N"])
        return pickle.loads(item["v"]["B"])  # noqa: S301 (written by this class)

    def set(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        """Store ``value`` under ``key`` for ``timeout`` seconds (None: no expiry)."""
        if timeout is not None and self.get_backend_timeout(timeout) <= time.time():
            self.delete(key, version=version)
            return
        dynamodb.client().put_item(
            TableName=self._table(), Item=self._item(key, value, timeout, version)
        )

    def add(
        self,
        key: str,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        """Store ``value`` only if ``key`` holds no live value; tell whether it did."""
        client = dynamodb.client()
        try:
            client.put_item(
                TableName=self._table(),
                Item=self._item(key, value, timeout, version),
                ConditionExpression=f"NOT ({_LIVE})",
                ExpressionAttributeValues=self._now(),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """Add ``delta`` atomically to a live integer; ValueError if there is none."""
        client = dynamodb.client()
        try:
            answer = client.update_item(
                TableName=self._table(),
                Key=self._pk(key, version),
                UpdateExpression="ADD n :delta",
                ConditionExpression=f"{_LIVE} AND attribute_exists(n)",
                ExpressionAttributeValues={
                    ":delta": {"N": str(delta)},
                    **self._now(),
                },
                ReturnValues="UPDATED_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException as exc:
            raise ValueError(f"Key '{key}' not found") from exc
        return int(answer["Attributes"]["n"]["N"])

    def delete(self, key: str, version: int | None = None) -> bool:
        """Remove ``key``; tell whether it held a live value."""
        old = (
            dynamodb.client()
            .delete_item(
                TableName=self._table(),
                Key=self._pk(key, version),
                ReturnValues="ALL_OLD",
            )
            .get("Attributes")
        )
        return bool(old) and float(old.get("expires", {}).get("N", "inf")) > time.time()

    def touch(
        self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Give a live ``key`` a new expiry; tell whether it was there."""
        client = dynamodb.client()
        expires = self.get_backend_timeout(timeout)
        if expires is None:
            update = {"UpdateExpression": "REMOVE expires"}
        else:
            update = {
                "UpdateExpression": "SET expires = :expires",
                "ExpressionAttributeValues": {":expires": {"N": str(int(expires))}},
            }
        values = {**update.pop("ExpressionAttributeValues", {}), **self._now()}
        try:
            client.update_item(
                TableName=self._table(),
                Key=self._pk(key, version),
                ConditionExpression=_LIVE,
                ExpressionAttributeValues=values,
                **update,
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def clear(self) -> None:
        """Not offered: it would need a Scan of the Users table."""
        raise NotImplementedError("DynamoDBCache cannot be cleared; entries expire.")
