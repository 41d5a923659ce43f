"""Authentication over the user manager, whatever stores the users."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ManagerBackend(ModelBackend):
    """Django's ModelBackend, with users fetched through ``User.objects``.

    ``authenticate`` already goes through ``get_by_natural_key``; this also
    sends ``get_user`` (each request's session lookup) through the manager, so
    it works when users live in DynamoDB.
    """

    def get_user(self, user_id):
        """Return the active user with this id, or None."""
        User = get_user_model()
        try:
            user = User.objects.get_by_id(user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
