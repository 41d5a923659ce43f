"""The admin index's "My actions", from wherever the admin's history is kept."""

from django import template
from django.contrib.admin.models import LogEntry

from accounts.backends import get_user_backend
from booklibrary.manager_admin import history

register = template.Library()


@register.simple_tag(takes_context=True)
def recent_admin_actions(context, limit: int = 10) -> list[LogEntry]:
    """Return the logged-in administrator's latest admin actions, newest first."""
    user = context["request"].user
    if get_user_backend().uses_orm:
        return list(
            LogEntry.objects.filter(user_id=user.pk)
            .select_related("content_type", "user")
            .order_by("-action_time")[:limit]
        )
    return history.recent_for_user(user, limit)
