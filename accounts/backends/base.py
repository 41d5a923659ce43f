"""The user backend interface. Names and emails are compared without case."""

from typing import TYPE_CHECKING

from django.db import IntegrityError

if TYPE_CHECKING:
    from accounts.models import User


class UsernameOrEmailTaken(IntegrityError):
    """Another account holds this username or email (``field`` says which)."""

    def __init__(self, field: str):
        super().__init__(f"A user with that {field} already exists.")
        self.field = field


class UserBackend:
    """Base class for user backends; every method below must be implemented."""

    #: True when users are rows of the SQL database (Django's own save applies).
    uses_orm = False

    def get_by_id(self, pk: int) -> "User":
        """Return the user with this id or raise ``User.DoesNotExist``."""
        raise NotImplementedError

    def get_by_username(self, username: str) -> "User":
        """Return the user whose username matches ignoring case, or raise."""
        raise NotImplementedError

    def username_taken(self, username: str, *, exclude_pk: int | None) -> bool:
        """Tell whether another account uses this username (any case)."""
        raise NotImplementedError

    def email_taken(self, email: str, *, exclude_pk: int | None) -> bool:
        """Tell whether another account uses this email (any case)."""
        raise NotImplementedError

    def active_with_email(self, email: str) -> list["User"]:
        """Return the active users with this email (any case)."""
        raise NotImplementedError

    def save(self, user: "User", *, update_fields: list[str] | None = None) -> None:
        """Create the user (assigning ``pk``) or update it.

        Raises ``UsernameOrEmailTaken`` when the name or email is in use.
        """
        raise NotImplementedError

    def set_library_view(self, user: "User", view: str) -> None:
        """Write only the user's ``library_view`` (a valid choice; the caller checks).

        Raises ``User.DoesNotExist`` when the account is gone.
        """
        raise NotImplementedError

    def delete(self, user: "User") -> None:
        """Delete the user and free their username and email."""
        raise NotImplementedError

    def all_users(self) -> list["User"]:
        """Return every user (the admin's listing; a Scan on DynamoDB)."""
        raise NotImplementedError
