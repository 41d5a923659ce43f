"""`deploy` and `undeploy`."""

import argparse
import json
import sys

from infra.deploy.common import ZAPPA_SETTINGS, DeployError, Stage, say
from infra.deploy.functions import ensure_function, function_config, get_function
from infra.deploy.packages import build_packages, stage_settings
from infra.deploy.smoke import smoke_checks
from infra.deploy.stack import ensure_secret_key, ensure_stack, wait_stack
from infra.deploy.wiring import ensure_api, ensure_queue_mapping, ensure_schedules

# Lambda environment variables the deploy owns; any other one set on a
# function (SMTP_HOST, GOOGLE_BOOKS_API_KEY...) is kept as it is.
SECRET_ENV = "SECRET_KEY_PARAMETER"


def deploy(stage: Stage, args: argparse.Namespace) -> dict:
    """Create or update everything the stage needs; end with the smoke checks."""
    api = stage.find_api()
    wanted = stack_parameters(stage, args, api)
    ensure_stack(stage, wanted)
    if not stage.outputs().get("AlarmTopicArn"):
        say("   no ALARM_EMAIL: the alarms and the budget notify nobody")
    parameter = ensure_secret_key(stage)
    packages = build_packages(stage, args.rebuild)
    settings = stage_settings(stage)
    outputs = stage.outputs()
    environment = {
        "JOBS_QUEUE_URL": outputs["JobsQueueUrl"],
        "MEDIA_BUCKET": outputs["MediaBucketName"],
        SECRET_ENV: parameter,
    }
    if api:
        environment["ALLOWED_HOSTS"] = stage.api_host(api["ApiId"])
    if args.table_suffix is not None:
        environment["DYNAMODB_TABLE_SUFFIX"] = args.table_suffix
    arns = ensure_functions(stage, packages, settings, environment)
    api_id = ensure_api(stage, arns[stage.web])
    if "ALLOWED_HOSTS" not in environment:  # a first deploy: the API is new
        environment["ALLOWED_HOSTS"] = stage.api_host(api_id)
        ensure_functions(stage, packages, settings, environment)
    ensure_schedules(stage, settings, arns)
    ensure_queue_mapping(stage, settings)
    if wanted.get("HttpApiId") != api_id:
        ensure_stack(stage, {**wanted, "HttpApiId": api_id})  # the API's alarms
    url = stage.url(api_id)
    if args.no_smoke:
        say("== smoke checks: skipped (--no-smoke)")
    else:
        smoke = args.smoke_url or url
        say(f"== smoke checks on {smoke}")
        smoke_checks(smoke)
    return {"url": url, "api_id": api_id, "functions": arns}


def stack_parameters(stage: Stage, args: argparse.Namespace, api: dict | None) -> dict:
    """The stack's parameters this run sets; the others keep their values."""
    zappa = json.loads(ZAPPA_SETTINGS.read_text(encoding="utf-8"))
    worker_timeout = str(zappa["dev_worker"].get("timeout_seconds", 120))
    wanted = {"Env": stage.env, "WorkerTimeoutSeconds": worker_timeout}
    if args.alarm_email is not None:
        wanted["AlarmEmail"] = args.alarm_email
    if args.monthly_budget is not None:
        wanted["MonthlyBudgetUsd"] = str(args.monthly_budget)
    if api:
        wanted["HttpApiId"] = api["ApiId"]
    return wanted


def ensure_functions(
    stage: Stage, packages: dict, settings: dict, environment: dict[str, str]
) -> dict[str, str]:
    """Both functions, created or updated; their ARNs by name."""
    return {
        function: ensure_function(
            stage,
            function,
            packages[function],
            function_config(stage, settings, function),
            environment,
        )
        for function in (stage.web, stage.worker)
    }


def confirm_undeploy(stage: Stage, yes: bool) -> None:
    """Ask for the stage's name on a terminal; elsewhere require --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise DeployError(
            "undeploy takes the site down: pass --yes (make undeploy YES=1)."
        )
    answer = input(
        f"This deletes the functions, the API and the stack of {stage.env!r} "
        "(the tables and the media bucket are kept). Type the stage's name: "
    )
    if answer.strip() != stage.env:
        raise DeployError("not confirmed: nothing deleted.")


def undeploy(stage: Stage, args: argparse.Namespace) -> dict:
    """Delete the functions, their wiring and the stack; keep the data."""
    confirm_undeploy(stage, args.yes)
    stack = stage.describe_stack()
    remove_functions(stage, stack is not None)
    if stack is None:
        say(f"== stack {stage.stack}: absent")
        return {}
    outputs = stage.outputs()
    bucket = outputs["DeployBucketName"]
    s3 = stage.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    stage.client("cloudformation").delete_stack(StackName=stage.stack)
    wait_stack(stage, "stack_delete_complete")
    say(f"== stack {stage.stack}: deleted")
    say("Kept (the template retains them, with your data):")
    for table in stage.tables():
        say(f"   DynamoDB table {table}")
    say(f"   S3 bucket {outputs['MediaBucketName']}")
    say(
        f"   SSM parameter {outputs['SecretKeyParameterName']} "
        "(the secret key: sessions stay valid on a redeploy)"
    )
    say(
        "A later `make deploy ENV=...` of this stage cannot create tables or a "
        "bucket of the same names: delete them first (after a backup), or use "
        "another ENV."
    )
    return {}


def remove_functions(stage: Stage, has_stack: bool) -> None:
    """The queue mapping, the schedules, the HTTP API and both functions."""
    lam = stage.client("lambda")
    if has_stack:
        queue = stage.outputs()["JobsQueueArn"]
        for mapping in lam.list_event_source_mappings(
            FunctionName=stage.worker, EventSourceArn=queue
        ).get("EventSourceMappings", []):
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
            say("== queue mapping: deleted")
    events = stage.client("events")
    # The worker's rules (booklibrary-<env>-worker-...) share the web's prefix.
    for rule in events.list_rules(NamePrefix=f"{stage.web}-").get("Rules", []):
        targets = events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
        if targets:
            events.remove_targets(Rule=rule["Name"], Ids=[t["Id"] for t in targets])
        events.delete_rule(Name=rule["Name"])
        say(f"== schedule {rule['Name']}: deleted")
    api = stage.find_api()
    if api:
        stage.client("apigatewayv2").delete_api(ApiId=api["ApiId"])
        say(f"== HTTP API {api['ApiId']}: deleted")
    for function in (stage.web, stage.worker):
        if get_function(stage, function) is not None:
            lam.delete_function(FunctionName=function)
            say(f"== function {function}: deleted")
