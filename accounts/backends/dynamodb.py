"""The DynamoDB user backend (AWS mode), on the ``BookLibrary-Users-{env}`` table.

An account is the item ``USER#<id>``; its username and email are claimed by
the sentinel items ``USERNAME#<key>`` and ``EMAIL#<key>`` (the folded forms of
``accounts.keys``, the same the SQL table keeps unique), written in the same
transaction with ``attribute_not_exists`` so two accounts can never share
either, whatever the case. Ids come from the atomic counter ``COUNTER#users``.
"""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from django.utils import timezone

from accounts.backends.base import UserBackend, UsernameOrEmailTaken
from accounts.keys import fill_keys, fold, key_matches
from booklibrary import dynamodb
from booklibrary.dynamo_utils import scan_all

# The account's own attributes; the catalog keeps book counters on the same
# item, so saving a user updates these and never overwrites the rest.
FIELDS = (
    "username",
    "email",
    "password",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
    "last_login",
    "username_key",
    "email_key",
)
# Preferences are written alone (``set_library_view``), never by a save, so a
# save of a user loaded earlier cannot put back an older choice.
LIBRARY_VIEW = "library_view"
_DATES = {"date_joined", "last_login"}
_FLAGS = {"is_active", "is_staff", "is_superuser"}
_KEY_MAX_BYTES = 2048  # DynamoDB's limit for a partition key


def _user_key(pk: int) -> dict:
    return {"pk": {"S": f"USER#{pk}"}}


def _sentinel(kind: str, value: str, key: str = "") -> dict:
    # A stored key (see accounts.keys) wins: a copied legacy account keeps its own.
    key = key if key and key_matches(key, value) else fold(value)
    return {"pk": {"S": f"{kind}#{key}"}}


def _encode(name: str, value: Any) -> dict:
    if name in _FLAGS:
        return {"BOOL": bool(value)}
    if name in _DATES:
        return {"S": value.isoformat()} if value else {"NULL": True}
    return {"S": value or ""}


def user_to_item(user) -> dict:
    """Return the Users-table item for an account (without book counters)."""
    item = {**_user_key(user.pk), "id": {"N": str(user.pk)}}
    item.update({name: _encode(name, getattr(user, name)) for name in FIELDS})
    item[LIBRARY_VIEW] = {"S": user.library_view}
    return item


def sentinel_items(user) -> list[dict]:
    """Return the items that claim the account's username and email."""
    claims = [
        ("USERNAME", user.username, user.username_key),
        ("EMAIL", user.email, user.email_key),
    ]
    return [
        {**_sentinel(kind, value, key), "user_id": {"N": str(user.pk)}}
        for kind, value, key in claims
        if value
    ]


def _decode(item: dict) -> "Any":
    from accounts.models import User

    values = {}
    for name in FIELDS:
        raw = item.get(name, {"NULL": True})
        if name in _FLAGS:
            values[name] = raw.get("BOOL", False)
        elif name in _DATES:
            values[name] = datetime.fromisoformat(raw["S"]) if "S" in raw else None
        else:
            values[name] = raw.get("S", "")
    view = item.get(LIBRARY_VIEW, {}).get("S")
    if view:
        values[LIBRARY_VIEW] = view
    user = User(id=int(item["id"]["N"]), **values)
    fill_keys(user)
    user._state.adding = False
    # The catalog's per-status counters live on the same item: kept, so that a
    # page needs no second read of it (see catalog.backends.dynamodb).
    user.stored_status_counts = {
        name: int(value["N"])
        for name, value in item.items()
        if name.startswith("count_") and "N" in value
    }
    return user


class DynamoUserBackend(UserBackend):
    """Users as items of the Users table."""

    def _table(self) -> str:
        return dynamodb.table_name(dynamodb.USERS)

    def _get(self, key: dict) -> dict | None:
        answer = dynamodb.client().get_item(
            TableName=self._table(), Key=key, ConsistentRead=True
        )
        return answer.get("Item")

    def get_by_id(self, pk):
        from accounts.models import User

        item = self._get(_user_key(pk))
        if item is None:
            raise User.DoesNotExist(f"No user {pk}")
        return _decode(item)

    def _claim_of(self, kind: str, value: str) -> dict | None:
        """Return the item claiming this name or email, if any."""
        key = _sentinel(kind, value)
        # Text too long to be a key (typed into the login form, say) is no one's.
        if not value or len(key["pk"]["S"].encode()) > _KEY_MAX_BYTES:
            return None
        return self._get(key)

    def _by_sentinel(self, kind: str, value: str):
        from accounts.models import User

        sentinel = self._claim_of(kind, value)
        if sentinel is None:
            raise User.DoesNotExist(f"No user with that {kind.lower()}")
        return self.get_by_id(int(sentinel["user_id"]["N"]))

    def get_by_username(self, username):
        return self._by_sentinel("USERNAME", username)

    def _taken(self, kind: str, value: str, exclude_pk: int | None) -> bool:
        sentinel = self._claim_of(kind, value)
        return sentinel is not None and int(sentinel["user_id"]["N"]) != exclude_pk

    def username_taken(self, username, *, exclude_pk):
        return self._taken("USERNAME", username, exclude_pk)

    def email_taken(self, email, *, exclude_pk):
        return self._taken("EMAIL", email, exclude_pk)

    def active_with_email(self, email):
        from accounts.models import User

        try:
            user = self._by_sentinel("EMAIL", email)
        except User.DoesNotExist:
            return []
        return [user] if user.is_active else []

    def save(self, user, *, update_fields=None):
        changed = fill_keys(user)
        if changed and update_fields is not None:
            update_fields = [*update_fields, *changed]
        if user.pk is None:
            self._create(user)
        else:
            self._update(user, update_fields)

    def _next_id(self) -> int:
        answer = dynamodb.client().update_item(
            TableName=self._table(),
            Key={"pk": {"S": "COUNTER#users"}},
            UpdateExpression="ADD seq :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["seq"]["N"])

    def _claim(self, kind: str, value: str, pk: int) -> dict:
        item = {**_sentinel(kind, value), "user_id": {"N": str(pk)}}
        return {
            "Put": {
                "TableName": self._table(),
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _release(self, kind: str, value: str, key: str) -> dict:
        return {
            "Delete": {"TableName": self._table(), "Key": _sentinel(kind, value, key)}
        }

    def _create(self, user) -> None:
        from catalog.backends.dynamodb import tallies

        user.pk = self._next_id()
        user.date_joined = user.date_joined or timezone.now()
        item = user_to_item(user)
        pk = user.pk
        actions = [
            {
                "Put": {
                    "TableName": self._table(),
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._claim("USERNAME", user.username, pk),
            # The library's tag and location counters: none yet, all counted.
            {"Put": {"TableName": self._table(), "Item": tallies.whole_item(pk, [])}},
        ]
        if user.email:
            actions.append(self._claim("EMAIL", user.email, pk))
        try:
            self._transact(actions)
        except Exception:
            user.pk = None
            raise
        user._state.adding = False

    def _update(self, user, update_fields) -> None:
        names = list(update_fields or FIELDS)
        actions = []
        if {"username", "email"} & set(names):
            stored = self.get_by_id(user.pk)
            for kind, field in (("USERNAME", "username"), ("EMAIL", "email")):
                old, new = getattr(stored, field), getattr(user, field)
                if fold(old) != fold(new):
                    if new:
                        actions.append(self._claim(kind, new, user.pk))
                    if old:
                        old_key = getattr(stored, f"{field}_key")
                        actions.append(self._release(kind, old, old_key))
        placeholders = {f"#{n}": n for n in names}
        values = {f":{n}": _encode(n, getattr(user, n)) for n in names}
        actions.insert(
            0,
            {
                "Update": {
                    "TableName": self._table(),
                    "Key": _user_key(user.pk),
                    "UpdateExpression": "SET "
                    + ", ".join(f"#{n} = :{n}" for n in names),
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": placeholders,
                    "ExpressionAttributeValues": values,
                }
            },
        )
        self._transact(actions)

    def _transact(self, actions: list[dict]) -> None:
        try:
            dynamodb.client().transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            for action, reason in zip(actions, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed" and "Put" in action:
                    key = action["Put"]["Item"]["pk"]["S"]
                    if key.startswith(("USERNAME#", "EMAIL#")):
                        field = "email" if key.startswith("EMAIL#") else "username"
                        raise UsernameOrEmailTaken(field) from exc
            raise

    def set_library_view(self, user, view):
        from accounts.models import User

        try:
            dynamodb.client().update_item(
                TableName=self._table(),
                Key=_user_key(user.pk),
                UpdateExpression="SET #v = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#v": LIBRARY_VIEW},
                ExpressionAttributeValues={":v": {"S": view}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise User.DoesNotExist(f"No user {user.pk}") from None

    def delete(self, user):
        from catalog.backends.dynamodb import tag_jobs, tallies

        actions = [
            {"Delete": {"TableName": self._table(), "Key": _user_key(user.pk)}},
            # The library's counters and tag job go with the account.
            {"Delete": {"TableName": self._table(), "Key": tallies.tally_key(user.pk)}},
            {"Delete": {"TableName": self._table(), "Key": tag_jobs.job_key(user.pk)}},
            self._release("USERNAME", user.username, user.username_key),
        ]
        if user.email:
            actions.append(self._release("EMAIL", user.email, user.email_key))
        dynamodb.client().transact_write_items(TransactItems=actions)

    def all_users(self):
        items = scan_all(
            dynamodb.client(),
            TableName=self._table(),
            FilterExpression="begins_with(pk, :user)",
            ExpressionAttributeValues={":user": {"S": "USER#"}},
        )
        return [_decode(item) for item in items]
