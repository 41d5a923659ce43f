"""Account services: the changes a reader makes to their own account."""

from django.core.exceptions import ValidationError

from accounts.models import LibraryView, User


def user_set_library_view(*, user: User, view: str) -> str:
    """Remember how the reader likes their library shown (grid or list).

    Raises ``ValidationError`` for a view that is not one of the choices.
    """
    if view not in LibraryView.values:
        choices = " or ".join(label.lower() for label in LibraryView.labels)
        raise ValidationError(f"The library can be shown as a {choices}.")
    User.objects.set_library_view(user, view)
    user.library_view = view
    return view
