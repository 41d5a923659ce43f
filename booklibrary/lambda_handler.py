"""The Lambda entry point (``lambda_handler`` in zappa_settings.json): Zappa's own.

A thin wrapper around ``zappa.handler.lambda_handler`` that adds three things:

* on cold start, Django's framework tables (contenttypes, auth, sessions) are
  built in the SQLite file ``DATABASES["default"]`` names, in Lambda's /tmp;
* each ``Set-Cookie`` goes out once (Zappa 0.60+ sends every one twice);
* an SQS batch that no ``events`` entry maps to a function fails loudly, where
  Zappa would log it and return None, which Lambda takes as "all done" and so
  deletes every message unread.

Both stages use it: ``dev_worker`` extends ``dev``.
"""

import logging
import time
from pathlib import Path
from typing import Any

from zappa import handler as zappa_handler

logger = logging.getLogger(__name__)

# Django's own tables; migrating them also migrates what they depend on.
FRAMEWORK_APPS = ("contenttypes", "auth", "sessions")

_cold = True


def lambda_handler(event: Any, context: Any) -> Any:
    """Handle one Lambda event through Zappa's handler (see the module docstring)."""
    global _cold
    handler = zappa_handler.LambdaHandler()  # one per process: settings, env, Django
    if _cold:
        ensure_framework_db()
        _cold = False
    check_sqs_route(handler, event)
    trust_only_the_source_ip(event)
    return dedupe_set_cookie(zappa_handler.lambda_handler(event, context))


def trust_only_the_source_ip(event: Any) -> None:
    """Make the client's address (REMOTE_ADDR) the one API Gateway saw.

    Zappa takes REMOTE_ADDR from X-Forwarded-For, whose first entries the
    client writes itself (Zappa expects CloudFront's address last and takes
    the one before it). API Gateway's ``sourceIp`` cannot be forged, and the
    throttles count per client address, so X-Forwarded-For becomes just that.
    """
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return
    context = event["requestContext"]
    source = (context.get("http") or context.get("identity") or {}).get("sourceIp")
    if not source:
        return
    for field in ("headers", "multiValueHeaders"):
        headers = event.get(field)
        if isinstance(headers, dict):
            for name in [n for n in headers if n.lower() == "x-forwarded-for"]:
                del headers[name]
            headers["x-forwarded-for"] = (
                [source] if field == "multiValueHeaders" else source
            )


def ensure_framework_db() -> bool:
    """Build the framework tables unless the SQLite file exists; say if it built."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        return False
    path = Path(database["NAME"])
    # An empty file is what a connection opened too early leaves: not built.
    if path.exists() and path.stat().st_size > 0:
        return False
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        for app in FRAMEWORK_APPS:
            call_command("migrate", app, interactive=False, verbosity=0)
    except BaseException:
        # Half a database would pass the check above on the next cold start.
        connections["default"].close()
        path.unlink(missing_ok=True)
        raise
    logger.info(
        "Built the framework database %s in %.0f ms",
        path,
        (time.perf_counter() - started) * 1000,
    )
    return True


def check_sqs_route(handler: zappa_handler.LambdaHandler, event: Any) -> None:
    """Raise if ``event`` is an SQS batch that Zappa would map to no function."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not records or not isinstance(records, list):
        return
    first = records[0]
    if not isinstance(first, dict) or first.get("eventSource") != "aws:sqs":
        return
    if not handler.get_function_for_aws_event(first):
        raise RuntimeError(
            f"No function for SQS queue {first.get('eventSourceARN')!r}: the "
            "events[].event_source.arn in zappa_settings.json must match it exactly."
        )


def dedupe_set_cookie(response: Any) -> Any:
    """Keep the first of each repeated Set-Cookie in a Zappa response, in order.

    Zappa's ``ZappaWSGIMiddleware`` (zappa/middleware.py, 0.60+) passes every
    ``Set-Cookie`` header through and appends a lower-cased ``set-cookie`` copy
    of each. For an HTTP API v2 event ``LambdaHandler.handler`` then collects
    both casings into ``response["cookies"]`` (a list: ``[a, b, a, b]``) and
    keeps them out of ``headers``. A REST API (v1) response carries them in
    ``multiValueHeaders`` under both casings (each list ``[a, b, a, b]``) and
    in ``headers`` once per casing; those are folded the same way.
    """
    if not isinstance(response, dict):
        return response
    if isinstance(response.get("cookies"), list):
        response["cookies"] = list(dict.fromkeys(response["cookies"]))
    multi = response.get("multiValueHeaders")
    if isinstance(multi, dict):
        names = [name for name in multi if name.lower() == "set-cookie"]
        if names:
            values = [value for name in names for value in multi.pop(name)]
            multi[names[0]] = list(dict.fromkeys(values))
    headers = response.get("headers")
    if isinstance(headers, dict):
        seen = set()
        for name in [name for name in headers if name.lower() == "set-cookie"]:
            if headers[name] in seen:
                del headers[name]
            else:
                seen.add(headers[name])
    return response
