"""The migration that folds existing usernames and emails into unique keys."""

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User

BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0002_user_folded_keys")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    graph = MigrationExecutor(connection).loader.graph
    return [node for node in graph.leaf_nodes() if node[0] == "accounts"]


@pytest.mark.django_db(transaction=True)
def test_existing_accounts_get_keys_and_ascii_blind_duplicates_keep_logging_in():
    old = _migrate(BEFORE).get_model("accounts", "User")
    # SQLite's LOWER let these two in before keys existed.
    first = old.objects.create(username="Élise", email="ann@exämple.com")
    second = old.objects.create(username="élise", email="ann@EXÄMPLE.com")
    other = old.objects.create(username="Bob", email="")
    try:
        new = _migrate(AFTER).get_model("accounts", "User")
        keys = {u.pk: (u.username_key, u.email_key) for u in new.objects.all()}
    finally:
        _migrate(_latest())
    assert keys == {
        first.pk: ("élise", "ann@exämple.com"),
        second.pk: (f"élise\n{second.pk}", f"ann@exämple.com\n{second.pk}"),
        other.pk: ("bob", ""),
    }
    for pk, name in ((first.pk, "Élise"), (second.pk, "élise")):
        user = User.objects.get_by_id(pk)
        user.set_password("pass phrase 12345")
        user.save()  # a save keeps the legacy key: no clash with the older account
        assert authenticate(username=name, password="pass phrase 12345").pk == pk
    assert authenticate(username="ÉLISE", password="pass phrase 12345").pk == first.pk
    both = {u.pk for u in User.objects.active_with_email("Ann@Exämple.com")}
    assert both == {first.pk, second.pk}
