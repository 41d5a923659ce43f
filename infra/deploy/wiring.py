"""The HTTP API, the schedules and the queue's event source mapping."""

import botocore.exceptions

from infra.deploy.common import Stage, error_code, say
from infra.deploy.functions import allow_invoke, function_statements
from infra.deploy.packages import resolved

# Zappa's keep-warm schedule for the web stage (keep_warm defaults to true).
KEEP_WARM = {
    "name": "zappa-keep-warm",
    "function": "handler.keep_warm_callback",
    "expression": "rate(4 minutes)",
}


# The input Zappa gives its scheduled events (zappa.core.Zappa.schedule_events).
SCHEDULE_INPUT_PATHS = {
    key: f"$.{key}"
    for key in (
        "time",
        "detail-type",
        "source",
        "account",
        "region",
        "detail",
        "version",
        "resources",
        "id",
    )
}


SCHEDULE_INPUT_TEMPLATE = (
    '{"time": <time>, "detail-type": <detail-type>, "source": <source>,'
    '"account": <account>, "region": <region>,"detail": <detail>, '
    '"version": <version>,"resources": <resources>,"id": <id>,"kwargs": {}}'
)


def ensure_api(stage: Stage, web_arn: str) -> str:
    """The HTTP API Zappa makes (apigateway_version v2); return its id."""
    api_gw = stage.client("apigatewayv2")
    api = stage.find_api()
    made = []
    if api is None:
        api = api_gw.create_api(
            Name=stage.web, ProtocolType="HTTP", Description="Book Library " + stage.env
        )
        made.append("API")
    api_id = api["ApiId"]
    made += ensure_route(api_gw, api_id, web_arn)
    stages = api_gw.get_stages(ApiId=api_id).get("Items", [])
    if not any(s["StageName"] == stage.env for s in stages):
        api_gw.create_stage(ApiId=api_id, StageName=stage.env, AutoDeploy=True)
        made.append("stage")
    statements = function_statements(stage, stage.web)
    sid = f"apigateway-{api_id}"
    if sid not in statements:
        made.append("invoke permission")
    allow_invoke(
        stage,
        stage.web,
        statements,
        sid,
        "apigateway.amazonaws.com",
        f"arn:{stage.partition()}:execute-api:{stage.region}:{stage.account()}:{api_id}/*",
    )
    say(
        f"== HTTP API {api_id}: "
        + (", ".join(made) + " created" if made else "up to date")
    )
    return api_id


def ensure_route(api_gw, api_id: str, web_arn: str) -> list[str]:
    """The Lambda proxy integration (payload 2.0) behind the $default route."""
    made = []
    integrations = api_gw.get_integrations(ApiId=api_id).get("Items", [])
    integration = next(
        (i for i in integrations if i.get("IntegrationUri") == web_arn), None
    )
    if integration is None:
        integration = api_gw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=web_arn,
            PayloadFormatVersion="2.0",
        )
        made.append("integration")
    target = f"integrations/{integration['IntegrationId']}"
    routes = api_gw.get_routes(ApiId=api_id).get("Items", [])
    route = next((r for r in routes if r["RouteKey"] == "$default"), None)
    if route is None:
        api_gw.create_route(
            ApiId=api_id, RouteKey="$default", Target=target, AuthorizationType="NONE"
        )
        made.append("route")
    elif route.get("Target") != target:
        api_gw.update_route(ApiId=api_id, RouteId=route["RouteId"], Target=target)
        made.append("route")
    return made


def schedules(stage: Stage, settings: dict) -> list[tuple[str, dict]]:
    """(function, event) for each scheduled event of both stages, keep-warm too."""
    found = []
    for function, zappa_stage in (
        (stage.web, stage.web_stage),
        (stage.worker, stage.worker_stage),
    ):
        own = resolved(settings, zappa_stage)
        events = [e for e in own.get("events", []) if e.get("expression")]
        if own.get("keep_warm", True):
            events.append(
                {
                    **KEEP_WARM,
                    "expression": own.get(
                        "keep_warm_expression", KEEP_WARM["expression"]
                    ),
                    "description": f"Zappa Keep Warm - {function}",
                }
            )
        found += [(function, event) for event in events]
    return found


def rule_name(event: dict, function: str) -> str:
    """Zappa's name for a scheduled event's rule (its handler reads it back)."""
    from zappa.core import Zappa

    return Zappa.get_scheduled_event_name(Zappa, event, event["function"], function)


def ensure_schedules(stage: Stage, settings: dict, arns: dict[str, str]) -> None:
    """Zappa's scheduled events: a rule, its target and an invoke permission each."""
    statements = {name: function_statements(stage, name) for name in arns}
    rules, changed = [], []
    for function, event in schedules(stage, settings):
        name = rule_name(event, function)
        rules.append(name)
        rule_arn, made = ensure_rule(stage, name, event, arns[function])
        sid = f"events-{name}"[:100]
        if made or sid not in statements[function]:
            changed.append(name)
        allow_invoke(
            stage, function, statements[function], sid, "events.amazonaws.com", rule_arn
        )
    say(
        f"== schedules: {len(rules)} rules, "
        + (f"set: {', '.join(changed)}" if changed else "up to date")
    )


def ensure_rule(stage: Stage, name: str, event: dict, target: str) -> tuple[str, bool]:
    """The rule and its target; return the rule's ARN and whether anything changed."""
    events = stage.client("events")
    wanted = {
        "ScheduleExpression": event["expression"],
        "State": "ENABLED",
        "Description": event.get("description", event["function"]),
    }
    made = False
    try:
        rule = events.describe_rule(Name=name)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        rule = {}
    if {key: rule.get(key) for key in wanted} != wanted:
        rule = events.put_rule(Name=name, **wanted)
        made = True
    targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
    if not any(t["Arn"] == target for t in targets):
        transformer = {
            "InputPathsMap": SCHEDULE_INPUT_PATHS,
            "InputTemplate": SCHEDULE_INPUT_TEMPLATE,
        }
        events.put_targets(
            Rule=name,
            Targets=[
                {"Id": "booklibrary", "Arn": target, "InputTransformer": transformer}
            ],
        )
        made = True
    return rule.get("RuleArn") or rule["Arn"], made


def ensure_queue_mapping(stage: Stage, settings: dict) -> str:
    """The worker's SQS event source mapping, with ReportBatchItemFailures."""
    lam = stage.client("lambda")
    own = resolved(settings, stage.worker_stage)
    (source,) = [e["event_source"] for e in own["events"] if "event_source" in e]
    wanted = {
        "BatchSize": int(source.get("batch_size", 10)),
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    mappings = lam.list_event_source_mappings(
        FunctionName=stage.worker, EventSourceArn=source["arn"]
    ).get("EventSourceMappings", [])
    if not mappings:
        made = lam.create_event_source_mapping(
            EventSourceArn=source["arn"],
            FunctionName=stage.worker,
            Enabled=bool(source.get("enabled", True)),
            **wanted,
        )
        say("== queue mapping: created, with ReportBatchItemFailures")
        return made["UUID"]
    mapping = mappings[0]
    if {key: mapping.get(key) for key in wanted} != wanted:
        lam.update_event_source_mapping(UUID=mapping["UUID"], **wanted)
        say("== queue mapping: updated, with ReportBatchItemFailures")
    else:
        say("== queue mapping: up to date (ReportBatchItemFailures)")
    return mapping["UUID"]
