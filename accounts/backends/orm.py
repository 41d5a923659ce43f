"""The ORM user backend (local mode)."""

from django.db import models

from accounts.backends.base import UserBackend


def _users():
    from accounts.models import User

    return User._base_manager


class OrmUserBackend(UserBackend):
    """Users as rows of the SQL database."""

    uses_orm = True

    def get_by_id(self, pk):
        return _users().get(pk=pk)

    def get_by_username(self, username):
        return _users().get(username__iexact=username)

    def username_taken(self, username, *, exclude_pk):
        return (
            _users().filter(username__iexact=username).exclude(pk=exclude_pk).exists()
        )

    def email_taken(self, email, *, exclude_pk):
        return _users().filter(email__iexact=email).exclude(pk=exclude_pk).exists()

    def active_with_email(self, email):
        return list(_users().filter(email__iexact=email, is_active=True))

    def save(self, user, *, update_fields=None):
        # The database's case-insensitive unique constraints raise IntegrityError.
        models.Model.save(user, update_fields=update_fields)

    def delete(self, user):
        models.Model.delete(user)

    def all_users(self):
        return list(_users().all())
