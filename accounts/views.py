"""Sign up, log in and out, password change and reset, profile."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import throttling
from accounts.forms import PasswordResetForm, ProfileForm, SignupForm, User
from accounts.tasks import RESET_TEMPLATES, password_reset_mail
from accounts.throttling import Counter, Throttled
from catalog.models import ReadingStatus, UserBook


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: redirect() would take any other word for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    """Create an account, log it in and go where the visitor was heading."""
    if request.user.is_authenticated:
        return redirect("catalog:home")
    form = SignupForm(request.POST or None)
    if (
        request.method == "POST"
        and _signup_allowed(request, form)
        and form.is_valid()
        and (user := form.save_unless_taken())
    ):
        login(request, user, backend="accounts.auth_backends.ManagerBackend")
        messages.success(request, f"Welcome, {user.username}! Add your first book.")
        return redirect(_safe_next(request) or "catalog:home")
    return render(
        request, "accounts/signup.html", {"form": form, "next": _safe_next(request)}
    )


def _signup_allowed(request, form) -> bool:
    """Count a sign-up attempt from this client; False (and say so) when throttled."""
    try:
        throttling.check_and_hit(
            Counter(throttling.SIGNUP_CLIENT, throttling.client_address(request))
        )
    except Throttled as exc:
        form.is_valid()  # keep what was typed, with the field errors
        form.add_error(None, exc.message)
        return False
    return True


class LoginView(auth_views.LoginView):
    """Log in; failed attempts are throttled per account and per client."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = throttling.ThrottledAuthenticationForm


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, as Django requires)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link: the same answer whether or not the address is known.

    The mail goes out from a job enqueued for every address, so the page does
    the same work for known and unknown ones; requests are throttled per
    address and per client, counted alike for both.
    """

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = RESET_TEMPLATES["email_template_name"]
    subject_template_name = RESET_TEMPLATES["subject_template_name"]
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        try:
            throttling.check_and_hit(
                Counter(throttling.RESET_ADDRESS, email),
                Counter(
                    throttling.RESET_CLIENT, throttling.client_address(self.request)
                ),
            )
        except Throttled as exc:
            form.add_error("email", exc.message)
            return self.form_invalid(form)
        password_reset_mail.enqueue(
            email=email,
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def get_user(self, uidb64):
        """Find the user through the manager (works on every user backend)."""
        try:
            pk = urlsafe_base64_decode(uidb64).decode()
            return User.objects.get_by_id(pk)
        except (ValueError, User.DoesNotExist):
            return None


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    """Show the account and its library totals; edit name and email."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid() and form.save_unless_taken():
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    counts = UserBook.objects.status_counts(request.user)
    # Every status, in the order of the choices, so the rows add up to the total.
    status_counts = [(label, counts[value]) for value, label in ReadingStatus.choices]
    context = {"form": form, "counts": counts, "status_counts": status_counts}
    return render(request, "accounts/profile.html", context)
