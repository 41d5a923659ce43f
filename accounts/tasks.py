"""Account jobs: the password-reset mail, sent away from the request."""

from django.tasks import task

from accounts.forms import PasswordResetForm

RESET_TEMPLATES = {
    "email_template_name": "accounts/password_reset_email.txt",
    "subject_template_name": "accounts/password_reset_subject.txt",
}


@task
def password_reset_mail(email: str, domain: str, use_https: bool) -> None:
    """Mail a reset link to the active accounts with this address, if any.

    The request enqueues this for every address, known or not, so that the
    page answers alike, in the same time, whether an account exists.
    """
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https, **RESET_TEMPLATES)
