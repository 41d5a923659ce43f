"""The ORM user backend (local mode)."""

from django.db import models

from accounts.backends.base import UserBackend
from accounts.keys import LEGACY_SEPARATOR, fill_keys, fold


def _users():
    from accounts.models import User

    return User._base_manager


class OrmUserBackend(UserBackend):
    """Users as rows of the SQL database, unique by their folded keys."""

    uses_orm = True

    def get_by_id(self, pk):
        return _users().get(pk=pk)

    def get_by_username(self, username):
        # The exact name first: an account that shared its folded name with an
        # older one before keys existed still logs in by its own spelling.
        matches = list(
            _users().filter(
                models.Q(username=username) | models.Q(username_key=fold(username))
            )[:2]
        )
        for user in matches:
            if user.username == username:
                return user
        if not matches:
            raise _users().model.DoesNotExist(f"No user {username!r}")
        return matches[0]

    def username_taken(self, username, *, exclude_pk):
        return (
            _users().filter(username_key=fold(username)).exclude(pk=exclude_pk).exists()
        )

    def email_taken(self, email, *, exclude_pk):
        if not email:
            return False
        return _users().filter(email_key=fold(email)).exclude(pk=exclude_pk).exists()

    def active_with_email(self, email):
        if not email:
            return []
        key = fold(email)
        same = models.Q(email_key=key) | models.Q(
            email_key__startswith=key + LEGACY_SEPARATOR
        )
        return list(_users().filter(same, is_active=True))

    def save(self, user, *, update_fields=None):
        # The unique keys make the database raise IntegrityError for a name or
        # email already in use.
        changed = fill_keys(user)
        if changed and update_fields is not None:
            update_fields = {*update_fields, *changed}
        models.Model.save(user, update_fields=update_fields)

    def set_library_view(self, user, view):
        if not _users().filter(pk=user.pk).update(library_view=view):
            raise _users().model.DoesNotExist(f"No user {user.pk}")

    def delete(self, user):
        models.Model.delete(user)

    def all_users(self):
        return list(_users().all())
