"""Per-view additions to the site's Content-Security-Policy (settings.SECURE_CSP)."""

from functools import wraps

from django.conf import settings
from django.utils.csp import CSP


def allow_webassembly(view):
    """Let this view's page compile WebAssembly (the camera's barcode reader).

    Only ``'wasm-unsafe-eval'`` is added: JavaScript ``eval`` stays refused.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        policy = dict(settings.SECURE_CSP)
        policy["script-src"] = [*policy.get("script-src", []), CSP.WASM_UNSAFE_EVAL]
        response._csp_config = policy
        return response

    return wrapped


def with_form_action(response, origin: str):
    """Let this response's forms post to ``origin`` too (a presigned S3 upload)."""
    policy = dict(getattr(response, "_csp_config", None) or settings.SECURE_CSP)
    policy["form-action"] = [*policy.get("form-action", []), origin]
    response._csp_config = policy
    return response
