"""A DynamoDB session store for AWS mode (``SESSION_ENGINE = "accounts.sessions"``).

Sessions are ``SESSION#<key>`` items in the Users table. Their ``expires``
attribute (epoch seconds) is the table's TTL attribute, so DynamoDB removes
expired sessions by itself; since that can lag by hours, expiry is also
checked on every read. Logging out deletes the item, and a save never brings
it back: a request still in flight when another logged out gets Django's
"session interrupted" answer instead of writing the session again.
"""

import time

from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.utils import timezone

from booklibrary import dynamodb


def _key(session_key: str) -> dict:
    return {"pk": {"S": f"SESSION#{session_key}"}}


class SessionStore(SessionBase):
    """Sessions in DynamoDB: one GetItem to load, one PutItem to save."""

    def _table(self) -> str:
        return dynamodb.table_name(dynamodb.USERS)

    def _validate_session_key(self, key: str | None) -> bool:
        # Keys are 32 characters; a cookie much longer names no session, and
        # DynamoDB would refuse it as a key (a server error on every page).
        return bool(super()._validate_session_key(key)) and len(key) <= 64

    def _read(self, session_key: str) -> dict | None:
        item = (
            dynamodb.client()
            .get_item(
                TableName=self._table(), Key=_key(session_key), ConsistentRead=True
            )
            .get("Item")
        )
        if item is None or int(item["expires"]["N"]) <= time.time():
            return None
        return item

    def load(self) -> dict:
        """Return the session's data, or an empty session if gone or expired."""
        item = self._read(self.session_key) if self.session_key else None
        if item is None:
            self._session_key = None
            return {}
        return self.decode(item["data"]["S"])

    def exists(self, session_key: str) -> bool:
        """Tell whether a live session has this key."""
        return self._read(session_key) is not None

    def create(self) -> None:
        """Store a new, empty session under a fresh key."""
        while True:
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return

    def save(self, must_create: bool = False) -> None:
        """Write the session with its expiry (its TTL); never revive a deleted one."""
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        expires = int(self.get_expiry_date().timestamp())
        request = {
            "TableName": self._table(),
            "Item": {
                **_key(self._get_or_create_session_key()),
                "data": {"S": self.encode(data)},
                "expires": {"N": str(expires)},
                "saved_at": {"S": timezone.now().isoformat()},
            },
        }
        # A new session must not overwrite another; an existing one must still
        # exist (logout deleted it: writing it again would log the user back in).
        request["ConditionExpression"] = (
            "attribute_not_exists(pk)" if must_create else "attribute_exists(pk)"
        )
        client = dynamodb.client()
        try:
            client.put_item(**request)
        except client.exceptions.ConditionalCheckFailedException as exc:
            raise (CreateError if must_create else UpdateError) from exc

    def delete(self, session_key: str | None = None) -> None:
        """Delete the session (logout)."""
        session_key = session_key or self.session_key
        if session_key:
            dynamodb.client().delete_item(
                TableName=self._table(), Key=_key(session_key)
            )

    @classmethod
    def clear_expired(cls) -> None:
        """Nothing to do: the table's TTL removes expired sessions."""
