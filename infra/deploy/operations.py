"""`status`, `logs` and `restore-drill`."""

import argparse
import time

import botocore.exceptions

from infra.deploy.common import DeployError, Stage, error_code, say
from infra.deploy.functions import get_function


def status(stage: Stage, args: argparse.Namespace) -> dict:
    """Print the stage's health: stack, functions, tables, queues, alarms, URL."""
    stack = stage.describe_stack()
    if stack is None:
        say(f"stack {stage.stack}: absent")
        return {"stack": None}
    say(f"stack {stage.stack}: {stack['StackStatus']}")
    report: dict = {"stack": stack["StackStatus"]}
    report["functions"] = functions_status(stage)
    report["tables"] = tables_status(stage)
    report.update(queues_status(stage))
    alarms = stage.client("cloudwatch").describe_alarms(
        AlarmNamePrefix=f"BookLibrary-{stage.env}-"
    )["MetricAlarms"]
    for alarm in alarms:
        say(f"alarm {alarm['AlarmName']}: {alarm['StateValue']}")
    api = stage.find_api()
    if api:
        say(f"url: {stage.url(api['ApiId'])}")
    return report


def functions_status(stage: Stage) -> dict[str, str]:
    states = {}
    for function in (stage.web, stage.worker):
        found = get_function(stage, function)
        if found is None:
            say(f"function {function}: absent")
            continue
        c = found["Configuration"]
        states[function] = c.get("State", "")
        say(
            f"function {function}: {c.get('State', '?')}, "
            f"{c.get('LastUpdateStatus', '?')}, "
            f"{c['Runtime']}, {c['MemorySize']} MB, {c['Timeout']} s, "
            f"{c['CodeSize'] / 2**20:.1f} MiB, modified {c['LastModified']} "
            f"({c.get('Description', '')})"
        )
    return states


def tables_status(stage: Stage) -> dict[str, str]:
    """The tables the web function reads (restored ones when it is pointed at them)."""
    suffix = ""
    web = get_function(stage, stage.web)
    if web:
        env = web["Configuration"].get("Environment", {}).get("Variables", {})
        suffix = env.get("DYNAMODB_TABLE_SUFFIX", "")
    dynamo = stage.client("dynamodb")
    states = {}
    for table in stage.tables(suffix):
        try:
            t = dynamo.describe_table(TableName=table)["Table"]
        except botocore.exceptions.ClientError:
            say(f"table {table}: absent")
            continue
        states[table] = t["TableStatus"]
        say(f"table {table}: {t['TableStatus']}, about {t.get('ItemCount', 0)} items")
    return states


def queues_status(stage: Stage) -> dict[str, int]:
    """The jobs queue's and the dead-letter queue's depth, and the queue mapping."""
    outputs = stage.outputs()
    sqs = stage.client("sqs")
    depths = {}
    for label, url in (
        ("jobs queue", outputs["JobsQueueUrl"]),
        ("dead-letter queue", outputs["DeadLetterQueueUrl"]),
    ):
        a = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        depths[label] = int(a["ApproximateNumberOfMessages"])
        say(
            f"{label}: {a['ApproximateNumberOfMessages']} waiting, "
            f"{a['ApproximateNumberOfMessagesNotVisible']} in flight, "
            f"{a['ApproximateNumberOfMessagesDelayed']} delayed"
        )
    mappings = (
        stage.client("lambda")
        .list_event_source_mappings(FunctionName=stage.worker)
        .get("EventSourceMappings", [])
    )
    for mapping in mappings:
        kinds = ",".join(mapping.get("FunctionResponseTypes", []))
        say(
            f"queue mapping: {mapping.get('State')}, "
            + (kinds or "no batch item failures")
        )
    return depths


def logs(stage: Stage, args: argparse.Namespace) -> dict:
    client = stage.client("logs")
    since = int((time.time() - args.minutes * 60) * 1000)
    for function in (stage.web, stage.worker):
        say(f"== /aws/lambda/{function}, last {args.minutes} minutes")
        try:
            pages = client.get_paginator("filter_log_events").paginate(
                logGroupName=f"/aws/lambda/{function}", startTime=since
            )
            for page in pages:
                for event in page.get("events", []):
                    say(event["message"].rstrip())
        except botocore.exceptions.ClientError as exc:
            say(f"   {error_code(exc)}")
    return {}


def restore_drill(stage: Stage, args: argparse.Namespace) -> dict:
    """Restore each table, as at the latest restorable time, into a new one; check."""
    dynamo = stage.client("dynamodb")
    suffix = "-restored-" + time.strftime("%Y%m%d%H%M%S", time.gmtime())
    pairs = list(zip(stage.tables(), stage.tables(suffix), strict=True))
    for source, target in pairs:
        backups = dynamo.describe_continuous_backups(TableName=source)
        pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        if pitr["PointInTimeRecoveryStatus"] != "ENABLED":
            raise DeployError(f"{source}: point-in-time recovery is off")
        dynamo.restore_table_to_point_in_time(
            SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
        )
        say(f"== {source} -> {target}: restoring")
    counts = {}
    for source, target in pairs:
        dynamo.get_waiter("table_exists").wait(
            TableName=target, WaiterConfig={"Delay": 20, "MaxAttempts": 180}
        )
        counts[target] = (count_items(dynamo, source), count_items(dynamo, target))
        say(
            f"   {target}: {counts[target][1]} items "
            f"({source}: {counts[target][0]} now)"
        )
    if args.keep:
        for _, target in pairs:
            # What a restore does not bring back: backups and the sessions' expiry.
            dynamo.update_continuous_backups(
                TableName=target,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        dynamo.update_time_to_live(
            TableName=pairs[0][1],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
        )
        say(
            f"Kept. Point the stage at them with `make deploy ENV={stage.env} "
            f"TABLE_SUFFIX={suffix}`, back with `TABLE_SUFFIX=` (empty)."
        )
    else:
        for _, target in pairs:
            dynamo.delete_table(TableName=target)
        say("Drill done: the restored tables are deleted (--keep keeps them).")
    return {"suffix": suffix, "counts": counts}


def count_items(dynamo, table: str) -> int:
    """Count a table's items (an operator's command: a Scan is fine here)."""
    total = 0
    for page in dynamo.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += page["Count"]
    return total
