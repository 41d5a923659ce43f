"""A moto DynamoDB server for the benchmarks, in a process of its own.

    .venv/bin/python bench/motoserver.py PORT

Prints "ready" once it listens on 127.0.0.1:PORT, then serves until killed.

One change to moto: to roll back a cancelled TransactWriteItems, moto deep-
copies each table an action names, once per action, before running any. That
grows with the table, not the transaction: with 10,000 items in a table one
copy takes about 2 s and a transaction of 100 puts about 140 s, while
DynamoDB's own cost does not depend on the table's size. Here a transaction
keeps a copy of the items it names (as they were) and puts them back when it
is cancelled, which is all a rollback needs. What succeeds or fails, and why,
is moto's own.
"""

import copy
import logging
import sys
import time
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models import copy as models_copy
from moto.server import ThreadedMotoServer

_moto_transact = DynamoDBBackend.transact_write_items


class _NoTableCopy:
    """``copy`` for moto's models module: a table is not copied whole."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if isinstance(value, Table):
            return value  # the items named are kept by ``transact_write_items``
        return copy.deepcopy(value, memo)


def _item_key(table: Any, op_type: str, op: dict) -> dict:
    if op_type != "Put":
        return op["Key"]
    names = [table.hash_key_attr]
    if table.range_key_attr is not None:
        names.append(table.range_key_attr)
    return {name: op["Item"][name] for name in names if name in op["Item"]}


def transact_write_items(self: DynamoDBBackend, transact_items: list) -> None:
    kept = []
    for action in transact_items:
        op_type, op = next(iter(action.items()))
        table = self.tables.get(op.get("TableName"))
        if table is None or op_type == "ConditionCheck":
            continue
        key = _item_key(table, op_type, op)
        try:
            current = self.get_item(table.name, key)
        except Exception:  # noqa: S112 (moto raises the call's own error next)
            continue
        before = None if current is None else current.to_json()["Attributes"]
        kept.append((table, key, copy.deepcopy(before)))
    try:
        _moto_transact(self, transact_items)
    except Exception:
        for table, key, before in reversed(kept):
            if before is None:
                if self.get_item(table.name, key) is not None:
                    self.delete_item(table.name, key)
            else:
                table.put_item(before)
        raise


def main(port: int) -> None:
    import moto.dynamodb.models as models

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    assert models_copy is copy
    models.copy = _NoTableCopy()
    DynamoDBBackend.transact_write_items = transact_write_items
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(int(sys.argv[1]))
