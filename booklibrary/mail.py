"""An email backend for a site with no mail server configured (AWS without SMTP)."""

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class UnsentMailBackend(BaseEmailBackend):
    """Send nothing and log a warning that says so, without the message's body.

    The console backend would write password-reset links into the function's
    logs; this one records only that a mail was due and how to send it.
    """

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            logger.warning(
                "Mail not sent (no SMTP_HOST configured): %r to %d recipient(s)",
                message.subject,
                len(message.recipients()),
            )
        return 0
