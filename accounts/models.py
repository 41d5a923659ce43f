"""The user model: usernames and emails are unique whatever their case.

"Whatever their case" is Unicode's: the folded keys (``accounts.keys``) are
what the store keeps unique, on SQL and on DynamoDB alike.
"""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models

from accounts.backends import get_user_backend
from accounts.keys import fill_keys


class UserManager(DjangoUserManager):
    """Access patterns for users, delegated to the configured user backend.

    Every lookup by name or email ignores case.
    """

    def get_by_natural_key(self, username: str) -> "User":
        """Return the user whose username matches, ignoring case."""
        return get_user_backend().get_by_username(username)

    def get_by_id(self, pk) -> "User":
        """Return the user with this id or raise ``User.DoesNotExist``."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise self.model.DoesNotExist(f"No user {pk!r}") from None
        return get_user_backend().get_by_id(pk)

    def username_taken(self, username: str, *, exclude_pk: int | None = None) -> bool:
        """Tell whether another account already uses this username (any case)."""
        return get_user_backend().username_taken(username, exclude_pk=exclude_pk)

    def email_taken(self, email: str, *, exclude_pk: int | None = None) -> bool:
        """Tell whether another account already uses this email (any case)."""
        return get_user_backend().email_taken(email, exclude_pk=exclude_pk)

    def set_library_view(self, user: "User", view: str) -> None:
        """Store the reader's library view (only that attribute is written)."""
        get_user_backend().set_library_view(user, view)

    def all_users(self) -> list["User"]:
        """Return every user, for the admin's listing (never a request path)."""
        return get_user_backend().all_users()

    def active_with_email(self, email: str) -> list["User"]:
        """Return the active users with this email, for password reset."""
        return [
            user
            for user in get_user_backend().active_with_email(email)
            if user.has_usable_password()
        ]


class LibraryView(models.TextChoices):
    """How the library page shows books."""

    GRID = "grid", "Grid"
    LIST = "list", "List"


class User(AbstractUser):
    """A person with a library."""

    # The folded username and email (see accounts.keys), unique in the table.
    username_key = models.TextField(editable=False, default="")
    email_key = models.TextField(editable=False, default="", blank=True)
    # The reader's choice of library view, kept with them on every device.
    library_view = models.CharField(
        max_length=8, choices=LibraryView.choices, default=LibraryView.GRID
    )

    objects = UserManager()

    def save(self, *args, **kwargs):
        """Store the user through the configured backend (SQL or DynamoDB)."""
        backend = get_user_backend()
        if backend.uses_orm:
            changed = fill_keys(self)
            if changed and kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], *changed}
            return super().save(*args, **kwargs)
        return backend.save(self, update_fields=kwargs.get("update_fields"))

    def delete(self, *args, **kwargs):
        """Delete the user through the configured backend."""
        backend = get_user_backend()
        if backend.uses_orm:
            return super().delete(*args, **kwargs)
        return backend.delete(self)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["username_key"],
                name="accounts_user_username_key_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                fields=["email_key"],
                condition=~models.Q(email_key=""),
                name="accounts_user_email_key_unique",
                violation_error_message="A user with that email already exists.",
            ),
        ]
