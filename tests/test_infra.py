"""The CloudFormation stack in infra/: valid, in step with the app, enough to run it.

The first tests read the template itself (cfn-lint, then the YAML with its
short tags): the tables match ``booklibrary.dynamodb``, the jobs queue fits the
worker's timeout, failed jobs reach a dead-letter queue, the buckets are
private and encrypted, and the alarms exist. The last ones create the stack in
moto and run the app against the resources it made, checking on the way that
the Lambda role's policy allows every AWS call the app makes.
"""

import json
import re
import subprocess
import sys
import warnings
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import botocore.client
import pytest
import slugify
from cfnlint.decode import decode
from django.core.files.base import ContentFile

from booklibrary import dynamodb
from booklibrary.dynamodb import BOOKS, LOANS, TTL_ATTRIBUTES, USERBOOKS, USERS
from tests.aws import DYNAMO_MODE

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "cloudformation.yaml"
ZAPPA_SETTINGS = ROOT / "zappa_settings.json"
REGION = "us-west-2"
STACK = "booklibrary-ci"
ENV = "ci"
DUNE = "9780441172719"
PASSWORD = "a long passphrase for the stack"

# The AWS limits the numbers below must respect.
LAMBDA_MAX_TIMEOUT = 900
SQS_MAX_VISIBILITY_TIMEOUT = 12 * 60 * 60
SQS_MAX_BATCH_SIZE = 10  # without a batching window

# Resource types moto 5.2's CloudFormation skips (it warns, creates the rest
# and reports CREATE_COMPLETE). Their settings are checked on the template text
# instead. Moto also ignores some properties of the types it does create: a
# table's TimeToLiveSpecification and PointInTimeRecoverySpecification, every
# bucket property but BucketEncryption and Tags, and a queue's
# RedriveAllowPolicy; nor does it check Capabilities or AllowedPattern. None of
# that matters to the app (sessions check their own expiry), so the stack test
# needs no workaround.
MOTO_SKIPS = {
    "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
    "AWS::Budgets::Budget",
}


def load_template() -> dict:
    """Return the template as plain data, short tags (!Ref, !Sub...) expanded."""
    template, problems = decode(str(TEMPLATE))
    assert not problems, problems
    return json.loads(json.dumps(template))


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


@pytest.fixture(scope="module")
def zappa() -> dict:
    return json.loads(ZAPPA_SETTINGS.read_text(encoding="utf-8"))


def resources(template: dict, resource_type: str) -> dict[str, dict]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def for_env(value, env: str):
    """A ``!Sub`` string naming a resource, as deployed for the stage ``env``."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return value["Fn::Sub"].replace("${Env}", env)
    return value


def function_names(zappa: dict) -> tuple[str, str]:
    """The Lambda function names Zappa gives the web and worker stages.

    Zappa names a function slugify("{project_name}-{stage}") (ZappaCLI.load_settings).
    """
    project = zappa["dev"]["project_name"]
    return slugify.slugify(f"{project}-dev"), slugify.slugify(f"{project}-dev_worker")


# --- The template, read --------------------------------------------------------


def test_cfn_lint_reports_nothing():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--regions", "us-east-1", REGION, "--", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_named_iam_resources_need_the_named_iam_capability(template):
    # The README's `aws cloudformation deploy` passes CAPABILITY_NAMED_IAM.
    named = [
        name
        for name, resource in template["Resources"].items()
        if resource["Type"].startswith("AWS::IAM::")
        and {"RoleName", "ManagedPolicyName"} & set(resource["Properties"])
    ]
    assert sorted(named) == ["LambdaPolicy", "LambdaRole"]
    assert "Transform" not in template  # no CAPABILITY_AUTO_EXPAND either


def test_names_fit_aws_limits_for_every_allowed_env(template):
    pattern = template["Parameters"]["Env"]["AllowedPattern"]
    longest = "z" + "9" * 11
    for env in ("dev", "prod", longest):
        assert re.fullmatch(pattern, env), env
    for env in (longest + "9", "Dev", "dev_worker", "d"):
        assert not re.fullmatch(pattern, env), env

    def name(resource: str, key: str) -> str:
        return (
            template["Resources"][resource]["Properties"][key]["Fn::Sub"]
            .replace("${Env}", longest)
            .replace("${AWS::AccountId}", "123456789012")
            .replace("${AWS::Region}", "ap-southeast-4")  # among the longest
        )

    for bucket in ("MediaBucket", "DeployBucket"):
        assert re.fullmatch(
            r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name(bucket, "BucketName")
        )
    for queue in ("JobsQueue", "JobsDeadLetterQueue"):
        assert len(name(queue, "QueueName")) <= 80
    assert len(name("LambdaRole", "RoleName")) <= 64


def _table(template: dict, kind: str) -> dict:
    found = [
        resource
        for resource in resources(template, "AWS::DynamoDB::Table").values()
        if resource["Properties"]["TableName"]
        == {"Fn::Sub": f"BookLibrary-{kind}-${{Env}}"}
    ]
    assert len(found) == 1, f"one table BookLibrary-{kind}-${{Env}}"
    return found[0]


def test_the_template_has_exactly_the_apps_tables(template, settings):
    tables = resources(template, "AWS::DynamoDB::Table").values()
    names = {for_env(t["Properties"]["TableName"], "dev") for t in tables}
    settings.BOOKLIBRARY_ENV = "dev"
    assert names == {dynamodb.table_name(kind) for kind in dynamodb.table_schemas()}


def _by_name(items: list[dict], key: str) -> dict[str, dict]:
    mapped = {item[key]: item for item in items}
    assert len(mapped) == len(items), f"duplicate {key}"
    return mapped


@pytest.mark.parametrize("kind", [USERS, BOOKS, USERBOOKS, LOANS])
def test_each_table_matches_the_schema_the_app_creates(template, kind):
    schema = dynamodb.table_schemas()[kind]
    resource = _table(template, kind)
    props = resource["Properties"]

    assert props["KeySchema"] == schema["KeySchema"]
    assert _by_name(props["AttributeDefinitions"], "AttributeName") == _by_name(
        schema["AttributeDefinitions"], "AttributeName"
    )
    # Same indexes, each with the same keys and projection, and nothing more
    # (no per-index throughput: on-demand tables have none).
    assert _by_name(props.get("GlobalSecondaryIndexes", []), "IndexName") == _by_name(
        schema.get("GlobalSecondaryIndexes", []), "IndexName"
    )
    assert "LocalSecondaryIndexes" not in props
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    if kind in TTL_ATTRIBUTES:
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": TTL_ATTRIBUTES[kind],
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in props
    # The library outlives the stack: deleting or replacing it keeps the data.
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


def test_the_queue_hides_a_job_for_six_worker_timeouts_whatever_the_choice(template):
    param = template["Parameters"]["WorkerTimeoutSeconds"]
    mapping = template["Mappings"]["WorkerTimeouts"]
    queue = template["Resources"]["JobsQueue"]["Properties"]

    assert queue["VisibilityTimeout"] == {
        "Fn::FindInMap": [
            "WorkerTimeouts",
            {"Ref": "WorkerTimeoutSeconds"},
            "VisibilityTimeout",
        ]
    }
    allowed = param["AllowedValues"]
    assert param["Default"] in allowed
    assert set(mapping) == set(allowed)  # every allowed value has its entry
    for value in allowed:
        visibility = mapping[value]["VisibilityTimeout"]
        assert 0 < int(value) <= LAMBDA_MAX_TIMEOUT
        assert 6 * int(value) <= visibility <= SQS_MAX_VISIBILITY_TIMEOUT, value


def test_the_worker_stage_fits_the_queue(template, zappa):
    worker = zappa["dev_worker"]
    timeout = worker["timeout_seconds"]
    default = template["Parameters"]["WorkerTimeoutSeconds"]["Default"]
    visibility = template["Mappings"]["WorkerTimeouts"][default]["VisibilityTimeout"]
    # Deployed with the default (as the README does), the stack suits the worker.
    assert timeout <= int(default)
    assert visibility >= 6 * timeout

    (event,) = [e for e in worker["events"] if "event_source" in e]
    source = event["event_source"]
    queue_name = for_env(
        template["Resources"]["JobsQueue"]["Properties"]["QueueName"], "dev"
    )
    assert source["arn"].split(":")[-1] == queue_name
    assert source["batch_size"] <= SQS_MAX_BATCH_SIZE
    assert event["function"] == "worker.sqs_handler.handle"


def _scheduled(zappa, function: str) -> int:
    """The minutes between runs of the worker's scheduled ``function``."""
    from zappa.core import Zappa

    scheduled = [e for e in zappa["dev_worker"]["events"] if "expression" in e]
    (event,) = [e for e in scheduled if e["function"] == function]
    (number,) = re.fullmatch(r"rate\((\d+) minutes?\)", event["expression"]).groups()
    # Zappa's handler finds the function by the end of the rule's name.
    rule = Zappa.get_scheduled_event_name(
        Zappa, event, event["function"], "booklibrary-dev-worker"
    )
    assert rule.split("-")[-1] == function
    return int(number)


def test_the_worker_stage_runs_the_metadata_sweep_on_a_schedule(zappa):
    # Often enough that a lost job is queued again within a few minutes.
    assert 1 <= _scheduled(zappa, "worker.sqs_handler.sweep") <= 5


def test_the_worker_stage_cleans_expired_removals_on_a_schedule(zappa, settings):
    minutes = _scheduled(zappa, "worker.sqs_handler.clean_removals")
    # A removed book's own cover photo goes within minutes of its undo window.
    assert 1 <= minutes <= settings.REMOVAL_UNDO_SECONDS // 60
    assert minutes * 60 == settings.REMOVAL_CLEANUP_INTERVAL_SECONDS
    scheduled = [e for e in zappa["dev_worker"]["events"] if "expression" in e]
    assert len(scheduled) == 4


def test_the_worker_stage_sweeps_stalled_imports_on_a_schedule(zappa, settings):
    from catalog.services.imports import STALE_AFTER

    minutes = _scheduled(zappa, "worker.sqs_handler.sweep_imports")
    # A stalled import is queued again within a few minutes of going quiet.
    assert minutes * 60 == settings.IMPORT_SWEEP_INTERVAL_SECONDS
    assert minutes * 60 <= STALE_AFTER.total_seconds()


def test_the_worker_stage_sends_the_loan_reminders_once_a_day(zappa, settings):
    (event,) = [
        e
        for e in zappa["dev_worker"]["events"]
        if e["function"] == "worker.sqs_handler.send_loan_reminders"
    ]
    assert event["expression"] == "rate(1 day)"
    assert settings.LOAN_REMINDERS_INTERVAL_SECONDS == 24 * 3600


def test_failed_jobs_end_in_the_dead_letter_queue(template):
    queue = template["Resources"]["JobsQueue"]["Properties"]
    dlq = template["Resources"]["JobsDeadLetterQueue"]["Properties"]
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]
    }
    assert redrive["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    receives = template["Parameters"]["MaxReceiveCount"]
    assert receives["Type"] == "Number"
    assert 1 <= receives["MinValue"] <= receives["Default"] <= receives["MaxValue"]
    # A message keeps its first enqueue time when moved: the DLQ must keep
    # messages longer than the queue does, or they expire on arrival.
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]
    # `aws sqs start-message-move-task` moves them back to the jobs queue only.
    (source,) = dlq["RedriveAllowPolicy"]["sourceQueueArns"]
    assert source["Fn::Sub"].endswith(":" + queue["QueueName"]["Fn::Sub"])


@pytest.mark.parametrize("bucket", ["MediaBucket", "DeployBucket"])
def test_buckets_are_private_and_encrypted(template, bucket):
    props = template["Resources"][bucket]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules
    assert all(
        rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        in {"AES256", "aws:kms", "aws:kms:dsse"}
        for rule in rules
    )
    assert props["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    (policy,) = [
        p["Properties"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    assert {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [
            {"Fn::GetAtt": [bucket, "Arn"]},
            {"Fn::Sub": f"${{{bucket}.Arn}}/*"},
        ],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= policy["PolicyDocument"]["Statement"][0].items()


def _alarms(template: dict) -> dict[tuple[str, str], list[dict]]:
    found: dict[tuple[str, str], list[dict]] = {}
    for resource in resources(template, "AWS::CloudWatch::Alarm").values():
        props = resource["Properties"]
        found.setdefault((props["Namespace"], props["MetricName"]), []).append(resource)
    return found


def test_alarms_watch_lambda_errors_dlq_depth_and_api_5xx(template, zappa):
    alarms = _alarms(template)
    web, worker = function_names(zappa)

    watched = {
        for_env(alarm["Properties"]["Dimensions"][0]["Value"], "dev")
        for alarm in alarms[("AWS/Lambda", "Errors")]
    }
    assert watched == {web, worker}

    (dlq,) = alarms[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert dlq["Properties"]["Dimensions"] == [
        {
            "Name": "QueueName",
            "Value": {"Fn::GetAtt": ["JobsDeadLetterQueue", "QueueName"]},
        }
    ]
    assert dlq["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
    assert dlq["Properties"]["Threshold"] == 0

    # HTTP APIs (Zappa's apigateway_version v2) publish "5xx" per ApiId.
    assert zappa["dev"]["apigateway_version"] == "v2"
    (api,) = alarms[("AWS/ApiGateway", "5xx")]
    assert api["Properties"]["Dimensions"] == [
        {"Name": "ApiId", "Value": {"Ref": "HttpApiId"}}
    ]
    assert api["Condition"] == "HasHttpApiId"

    notify = {
        "Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]
    }
    for group in alarms.values():
        for alarm in group:
            props = alarm["Properties"]
            assert props["AlarmActions"] == props["OKActions"] == notify
            assert props["TreatMissingData"] == "notBreaching"
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def test_the_api_p95_latency_alarm_follows_the_api(template):
    (latency,) = _alarms(template)[("AWS/ApiGateway", "Latency")]
    props = latency["Properties"]
    assert latency["Condition"] == "HasHttpApiId"
    assert props["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApiId"}}]
    assert props["ExtendedStatistic"] == "p95" and "Statistic" not in props
    assert props["Threshold"] == {"Ref": "ApiLatencyP95Ms"}
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["DatapointsToAlarm"] <= props["EvaluationPeriods"]


def test_a_monthly_cost_budget_mails_the_alarm_email(template):
    assert template["Parameters"]["MonthlyBudgetUsd"]["Type"] == "Number"
    (budget,) = resources(template, "AWS::Budgets::Budget").values()
    props = budget["Properties"]
    assert props["Budget"]["BudgetType"] == "COST"
    assert props["Budget"]["TimeUnit"] == "MONTHLY"
    assert props["Budget"]["BudgetLimit"] == {
        "Amount": {"Ref": "MonthlyBudgetUsd"},
        "Unit": "USD",
    }
    condition, notices, otherwise = props["NotificationsWithSubscribers"]["Fn::If"]
    assert (condition, otherwise) == ("HasAlarmEmail", {"Ref": "AWS::NoValue"})
    kinds = {n["Notification"]["NotificationType"] for n in notices}
    assert kinds == {"ACTUAL", "FORECASTED"}
    for notice in notices:
        assert notice["Subscribers"] == [
            {"SubscriptionType": "EMAIL", "Address": {"Ref": "AlarmEmail"}}
        ]


def test_the_functions_may_read_only_their_stages_secret_key(template):
    statements = template["Resources"]["LambdaPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    (statement,) = [s for s in statements if "ssm:" in json.dumps(s["Action"])]
    assert statement["Action"] == "ssm:GetParameter"
    resource = statement["Resource"]["Fn::Sub"]
    output = template["Outputs"]["SecretKeyParameterName"]["Value"]["Fn::Sub"]
    assert resource.endswith(f":parameter{output}")


def test_log_groups_and_role_are_the_ones_zappa_uses(template, zappa):
    web, worker = function_names(zappa)
    groups = {
        for_env(g["Properties"]["LogGroupName"], "dev"): g["Properties"]
        for g in resources(template, "AWS::Logs::LogGroup").values()
    }
    assert set(groups) == {f"/aws/lambda/{web}", f"/aws/lambda/{worker}"}
    assert all(g["RetentionInDays"] for g in groups.values())

    stage = zappa["dev"]
    assert stage["manage_roles"] is False
    role = template["Resources"]["LambdaRole"]["Properties"]
    assert for_env(role["RoleName"], "dev") == stage["role_name"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = template["Resources"]["LambdaPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "LambdaRole"}]


def test_the_readme_deploys_this_template_under_a_name_zappa_leaves_alone(
    template, zappa
):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    # Zappa keeps each stage's HTTP API in a stack named like its function, and
    # `zappa update` or `undeploy` would overwrite or delete a stack of that name.
    project = zappa["dev"]["project_name"]
    zappa_stacks = {slugify.slugify(f"{project}-{stage}") for stage in zappa}
    stack_names = set(re.findall(r"^STACK=(\S+)$", text, re.MULTILINE))
    assert stack_names and not stack_names & zappa_stacks
    assert "--capabilities CAPABILITY_NAMED_IAM" in text
    overrides = re.findall(r"--parameter-overrides ([^\n]+)", text)
    assert overrides
    for line in overrides:
        keys = {pair.split("=", 1)[0] for pair in line.split()}
        assert keys <= set(template["Parameters"]), line
    used = set(re.findall(r"\$\(out (\w+)\)", text))
    assert used and used <= set(template["Outputs"])


# --- The stack, created in moto ------------------------------------------------


@pytest.fixture
def aws(monkeypatch):
    """Moto in us-west-2 with dummy credentials: no AWS account involved."""
    from moto import mock_aws

    from worker.backends import sqs

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        dynamodb.client.cache_clear()
        sqs.client.cache_clear()
        yield
    dynamodb.client.cache_clear()
    sqs.client.cache_clear()


def create_stack(**parameters: str) -> dict[str, str]:
    """Create the stack in moto as `aws cloudformation deploy` does; return outputs."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
            Parameters=[
                {"ParameterKey": key, "ParameterValue": value}
                for key, value in parameters.items()
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
    skipped = {
        match.group(1)
        for warning in caught
        if (
            match := re.search(
                r"parse (\S+) but it's not supported", str(warning.message)
            )
        )
    }
    # Anything moto skips beyond the known few would go unexercised here.
    assert skipped <= MOTO_SKIPS
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_the_stack_creates_what_the_app_and_zappa_need(aws, zappa):
    worker_timeout = zappa["dev_worker"]["timeout_seconds"]
    outputs = create_stack(Env=ENV, WorkerTimeoutSeconds=str(worker_timeout))
    assert outputs["Env"] == ENV

    client = boto3.client("dynamodb", region_name=REGION)
    for kind, schema in dynamodb.table_schemas().items():
        table = client.describe_table(TableName=outputs[f"{kind}TableName"])["Table"]
        assert table["TableName"] == f"BookLibrary-{kind}-{ENV}"
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["KeySchema"] == schema["KeySchema"]
        made = {
            index["IndexName"]: (index["KeySchema"], index["Projection"])
            for index in table.get("GlobalSecondaryIndexes", [])
        }
        assert made == {
            index["IndexName"]: (index["KeySchema"], index["Projection"])
            for index in schema.get("GlobalSecondaryIndexes", [])
        }

    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=outputs["JobsQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["QueueArn"] == outputs["JobsQueueArn"]
    assert int(attributes["VisibilityTimeout"]) >= 6 * worker_timeout
    assert int(outputs["JobsQueueVisibilityTimeout"]) >= 6 * worker_timeout
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == outputs["DeadLetterQueueArn"]
    assert int(redrive["maxReceiveCount"]) >= 1
    dlq_url = sqs.get_queue_url(QueueName=outputs["DeadLetterQueueArn"].split(":")[-1])
    assert dlq_url["QueueUrl"] == outputs["DeadLetterQueueUrl"]

    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (outputs["MediaBucketName"], outputs["DeployBucketName"]):
        encryption = s3.get_bucket_encryption(Bucket=bucket)
        assert encryption["ServerSideEncryptionConfiguration"]["Rules"]

    iam = boto3.client("iam", region_name=REGION)
    attached = iam.list_attached_role_policies(RoleName=outputs["LambdaRoleName"])
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [
        outputs["LambdaPolicyArn"]
    ]
    logs = boto3.client("logs", region_name=REGION)
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/booklibrary-")
    assert {g["logGroupName"] for g in groups["logGroups"]} == {
        f"/aws/lambda/booklibrary-{ENV}",
        f"/aws/lambda/booklibrary-{ENV}-worker",
    }


@pytest.mark.parametrize("email", ["", "alerts@example.org"])
def test_alarm_notifications_exist_only_with_an_email(aws, email):
    outputs = create_stack(Env=ENV, AlarmEmail=email)
    topics = boto3.client("sns", region_name=REGION).list_topics()["Topics"]
    if email:
        assert [t["TopicArn"] for t in topics] == [outputs["AlarmTopicArn"]]
        assert outputs["AlarmTopicArn"].endswith(f":BookLibrary-Alarms-{ENV}")
    else:
        assert topics == [] and "AlarmTopicArn" not in outputs


# --- The app against the stack -------------------------------------------------


class AppCalls:
    """The AWS calls the app makes (not the test's own checks) while recording."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.on = False

    @contextmanager
    def recording(self):
        self.on = True
        try:
            yield
        finally:
            self.on = False


@pytest.fixture
def app_calls(monkeypatch) -> AppCalls:
    log = AppCalls()
    make_api_call = botocore.client.BaseClient._make_api_call

    def record(client, operation_name, api_params):
        if log.on:
            service = client.meta.service_model.service_name
            log.calls.append((service, operation_name, api_params))
        return make_api_call(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return log


# How S3 operations are authorized (IAM actions are not operation names there).
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
}
# Transactions are authorized per item, as the item's own action.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def needed_permissions(
    service: str, operation: str, params: dict, account: str
) -> list[tuple[str, str]]:
    """Return the (IAM action, resource ARN) pairs one AWS call is checked for."""
    if service == "dynamodb":

        def table(name: str, index: str | None = None) -> str:
            arn = f"arn:aws:dynamodb:{REGION}:{account}:table/{name}"
            return f"{arn}/index/{index}" if index else arn

        if operation in {"TransactWriteItems", "TransactGetItems"}:
            return [
                (f"dynamodb:{TRANSACT_ACTIONS[kind]}", table(part["TableName"]))
                for item in params["TransactItems"]
                for kind, part in item.items()
            ]
        if operation in {"BatchGetItem", "BatchWriteItem"}:
            return [(f"dynamodb:{operation}", table(t)) for t in params["RequestItems"]]
        return [
            (
                f"dynamodb:{operation}",
                table(params["TableName"], params.get("IndexName")),
            )
        ]
    if service == "sqs":
        name = urlsplit(params["QueueUrl"]).path.rsplit("/", 1)[-1]
        return [(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{account}:{name}")]
    if service == "s3" and operation in S3_ACTIONS:
        key = f"/{params['Key']}" if "Key" in params else ""
        return [(S3_ACTIONS[operation], f"arn:aws:s3:::{params['Bucket']}{key}")]
    raise AssertionError(f"Say how {service}:{operation} is authorized (S3_ACTIONS)")


def allowed(policy: dict, action: str, resource: str) -> bool:
    """Whether an identity policy (Allow statements, no conditions) allows this."""

    def listed(value) -> list[str]:
        return value if isinstance(value, list) else [value]

    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        if any(
            fnmatchcase(action.lower(), pattern.lower())
            for pattern in listed(statement["Action"])
        ) and any(fnmatchcase(resource, r) for r in listed(statement["Resource"])):
            return True
    return False


def role_policy(outputs: dict[str, str]) -> dict:
    """The Lambda role's policy as the stack created it (ARNs resolved)."""
    iam = boto3.client("iam", region_name=REGION)
    arn = outputs["LambdaPolicyArn"]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
        "Document"
    ]


def sqs_event(messages: list[dict], queue_arn: str) -> dict:
    """The event Lambda's SQS event source mapping would pass the worker."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


@pytest.mark.django_db
def test_the_app_runs_against_the_stack(
    aws,
    app_calls,
    settings,
    client,
    fake_provider,
    django_capture_on_commit_callbacks,
    zappa,
):
    from accounts.models import User
    from catalog import services
    from catalog.models import Book, MetadataStatus
    from worker import sqs_handler

    outputs = create_stack(
        Env=ENV, WorkerTimeoutSeconds=str(zappa["dev_worker"]["timeout_seconds"])
    )
    # As on Lambda (booklibrary.settings.aws), with the stack's outputs for the
    # environment the README has the operator set.
    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    settings.AWS_REGION = REGION
    settings.BOOKLIBRARY_ENV = outputs["Env"]
    settings.DYNAMODB_ENDPOINT_URL = settings.SQS_ENDPOINT_URL = ""
    settings.JOBS_QUEUE_URL = outputs["JobsQueueUrl"]
    settings.MEDIA_BUCKET = outputs["MediaBucketName"]
    settings.TASKS = {"default": {"BACKEND": "worker.backends.sqs.SqsTaskBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": settings.MEDIA_BUCKET,
                "region_name": REGION,
                "signature_version": "s3v4",
                "querystring_auth": True,
                "default_acl": None,
                "file_overwrite": True,
                "location": "media",
            },
        },
    }
    ddb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)

    # A reader signs up and adds a book: the items land in the stack's tables.
    with app_calls.recording():
        user = User.objects.create_user(
            username="reader", email="reader@example.org", password=PASSWORD
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.userbook_add(user=user, isbn=DUNE)
    users_key = {"pk": {"S": f"USER#{user.pk}"}}
    assert "Item" in ddb.get_item(TableName=outputs["UsersTableName"], Key=users_key)
    assert "Item" in ddb.get_item(
        TableName=outputs["BooksTableName"], Key={"key": {"S": DUNE}}
    )
    shelf_key = {"user_id": {"N": str(user.pk)}, "book_key": {"S": DUNE}}
    assert "Item" in ddb.get_item(
        TableName=outputs["UserBooksTableName"], Key=shelf_key
    )

    # The metadata job went to the stack's queue through the SQS task backend.
    received = sqs.receive_message(
        QueueUrl=outputs["JobsQueueUrl"],
        MaxNumberOfMessages=10,
        WaitTimeSeconds=0,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    (message,) = received
    assert message["MessageAttributes"]["task"]["StringValue"] == (
        "worker.tasks.fetch_metadata"
    )
    body = json.loads(message["Body"])
    assert body["task"] == "worker.tasks.fetch_metadata"
    assert body["args"] == [[DUNE]]

    # The worker function runs it, as Lambda would hand it over; the event
    # source mapping then deletes what the answer does not list as failed.
    with app_calls.recording():
        answer = sqs_handler.handle(sqs_event(received, outputs["JobsQueueArn"]), None)
    assert answer == {"batchItemFailures": []}
    for m in received:
        sqs.delete_message(
            QueueUrl=outputs["JobsQueueUrl"], ReceiptHandle=m["ReceiptHandle"]
        )
    left = sqs.get_queue_attributes(
        QueueUrl=outputs["JobsQueueUrl"],
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    assert left == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
    }

    # Details arrived, and the covers are in the stack's media bucket.
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE and book.title == "Dune"
    listing = s3.list_objects_v2(Bucket=outputs["MediaBucketName"])
    assert {o["Key"] for o in listing["Contents"]} == {
        f"media/covers/{DUNE}.jpg",
        f"media/covers/{DUNE}-thumb.jpg",
    }

    # Any file the app saves goes there too, and is linked by a signed URL.
    from django.core.files.storage import default_storage

    with app_calls.recording():
        name = default_storage.save(
            "imports/shelf.csv", ContentFile(b"isbn\n" + DUNE.encode())
        )
        url = default_storage.url(name)
        assert default_storage.exists(name)
    stored = s3.get_object(Bucket=outputs["MediaBucketName"], Key=f"media/{name}")
    assert stored["Body"].read() == b"isbn\n" + DUNE.encode()
    assert urlsplit(url).netloc.startswith(outputs["MediaBucketName"])
    assert "X-Amz-Signature=" in url

    # The reader logs in (a session item in the Users table) and sees the book.
    with app_calls.recording():
        assert client.get("/health").json() == {"status": "healthy"}
        assert client.login(username="reader", password=PASSWORD)
        page = client.get("/")
    assert page.status_code == 200 and "Dune" in page.text
    session = ddb.get_item(
        TableName=outputs["UsersTableName"],
        Key={"pk": {"S": f"SESSION#{client.session.session_key}"}},
    )
    assert "Item" in session

    # Every AWS call above is one the Lambda role's policy allows.
    account = outputs["LambdaRoleArn"].split(":")[4]
    policy = role_policy(outputs)
    services_called = {service for service, _, _ in app_calls.calls}
    assert services_called == {"dynamodb", "sqs", "s3"}
    denied = [
        (action, resource)
        for service, operation, params in app_calls.calls
        for action, resource in needed_permissions(service, operation, params, account)
        if not allowed(policy, action, resource)
    ]
    assert denied == []
    # ...and so does what Lambda's SQS event source mapping does with the role.
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert allowed(policy, action, outputs["JobsQueueArn"])


def test_large_exports_are_deleted_from_the_media_bucket_after_a_day(template):
    from django.conf import settings

    from booklibrary.views import EXPORTS_PREFIX

    props = template["Resources"]["MediaBucket"]["Properties"]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    rule = rules["expire-exports"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", 1)
    # Media sit under "media/" in the bucket (the S3 storage's location).
    assert rule["Prefix"] == "media/" + EXPORTS_PREFIX
    assert settings.EXPORT_URL_SECONDS < 24 * 60 * 60
