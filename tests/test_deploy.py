"""`make deploy`, `status`, `restore-drill`, `undeploy`: end to end on moto's server.

scripts/deploy.py runs as a subprocess, as `make deploy ENV=...` runs it, with
dummy credentials and AWS_ENDPOINT_URL pointing at moto's server on 127.0.0.1:
the stack is created from infra/cloudformation.yaml, the secret key stored,
both functions, the HTTP API, the schedules and the queue mapping made. A
second run must change nothing.

Moto stores functions but cannot run them (that needs a Lambda runtime). The
smoke checks at the end of the deploy are run against the deployed web
package instead: unzipped and run by tests/lambda_runtime.py with the
environment moto holds for the function, behind a small HTTP server that
plays API Gateway for the API the deploy made. The function then reads its
SECRET_KEY from moto's SSM, as it would on AWS.
"""

import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from infra.deploy.packages import BASE_PACKAGE, base_package_is_stale
from tests.lambda_events import http_api_event
from tests.test_aws_end_to_end import LambdaFunction, _free_port, _wait_for_port
from tests.test_package import BUILD_TIMEOUT_SECONDS

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "deploy.py"
REGION = "us-west-2"
ENV = "qa7"  # any stage name, not just dev
STACK = f"booklibrary-infra-{ENV}"
WEB, WORKER = f"booklibrary-{ENV}", f"booklibrary-{ENV}-worker"
EMAIL = "alarms@example.org"


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory):
    """moto's server in a process of its own on 127.0.0.1: its state stays there."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def aws_env(moto_server, tmp_path_factory) -> dict[str, str]:
    """The environment of a deploy: dummy credentials, moto's endpoint, a region."""
    home = tmp_path_factory.mktemp("home")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "deploy-test",
        "AWS_SECRET_ACCESS_KEY": "deploy-test",
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(scope="module")
def aws(aws_env):
    """A boto3 session on moto's server, for the test's own checks."""
    session = boto3.session.Session(
        aws_access_key_id="deploy-test",
        aws_secret_access_key="deploy-test",
        region_name=REGION,
    )
    return lambda service: session.client(
        service, endpoint_url=aws_env["AWS_ENDPOINT_URL"]
    )


class ApiGatewayStandIn:
    """HTTP in on 127.0.0.1, HTTP API (payload 2.0) events out to the web package.

    Started at the first request: it reads the web function's environment and
    the API's id from moto then, as API Gateway would reach the function as it
    is deployed at that moment.
    """

    def __init__(self, aws, folder: Path, aws_env: dict[str, str]) -> None:
        self.aws, self.folder, self.aws_env = aws, folder, aws_env
        self.function: LambdaFunction | None = None
        self.lock = threading.Lock()
        self.paths: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    status, headers, body = stand_in.answer(self.path)
                except Exception as exc:  # what API Gateway answers when Lambda fails
                    status, headers, body = 502, {}, repr(exc).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{ENV}"

    def start(self) -> tuple[LambdaFunction, str]:
        (api,) = [
            a for a in self.aws("apigatewayv2").get_apis()["Items"] if a["Name"] == WEB
        ]
        config = self.aws("lambda").get_function_configuration(FunctionName=WEB)
        task = self.folder / "task"
        zipfile.ZipFile(ROOT / "dist" / "deploy" / ENV / f"{WEB}.zip").extractall(task)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.folder),
            "LANG": "C.UTF-8",
            "DATA_DIR": str(self.folder / "lambda-tmp"),
            **{k: v for k, v in self.aws_env.items() if k.startswith("AWS_")},
            **config["Environment"]["Variables"],
        }
        self.function = LambdaFunction(task, env)
        return self.function, api["ApiId"]

    def answer(self, path: str) -> tuple[int, dict, bytes]:
        with self.lock:
            self.paths.append(path)
            function, api_id = (
                self.start() if self.function is None else (self.function, self.api_id)
            )
            self.api_id = api_id
            host = f"{api_id}.execute-api.{REGION}.amazonaws.com"
            event = http_api_event(path, headers={"host": host, "accept": "text/html"})
            event["requestContext"].update(
                apiId=api_id, domainName=host, domainPrefix=api_id, stage=ENV
            )
            response = function.invoke(event)
        body = response.get("body", "")
        content = body.encode() if isinstance(body, str) else body
        if response.get("isBase64Encoded"):
            import base64

            content = base64.b64decode(body)
        return response["statusCode"], response.get("headers", {}), content

    def close(self) -> None:
        self.server.shutdown()
        if self.function is not None:
            self.function.close()


def run(command: str, aws_env: dict, *args: str, report: Path | None = None):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), command, "--env", ENV, *args]
        + (["--report", str(report)] if report else []),
        cwd=ROOT,
        env=aws_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout, json.loads(report.read_text()) if report else None


@pytest.fixture(scope="module")
def base_package() -> Path:
    """The base package, built first when stale, so that a deploy's time is its own."""
    if base_package_is_stale():
        subprocess.run(
            [str(ROOT / "scripts" / "package"), "dev"],
            cwd=ROOT,
            capture_output=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=True,
        )
    return BASE_PACKAGE


@pytest.fixture(scope="module")
def deployed(base_package, aws, aws_env, tmp_path_factory):
    """Two deploys in a row; their output and reports."""
    folder = tmp_path_factory.mktemp("deploy")
    stand_in = ApiGatewayStandIn(aws, folder, aws_env)
    committed = (ROOT / "zappa_settings.json").read_bytes()
    try:
        first = run(
            "deploy",
            {**aws_env, "ALARM_EMAIL": EMAIL},
            "--smoke-url",
            stand_in.url,
            report=folder / "first.json",
        )
        second = run(
            "deploy",
            aws_env,
            "--smoke-url",
            stand_in.url,
            report=folder / "second.json",
        )
        yield {"first": first, "second": second, "stand_in": stand_in}
    finally:
        stand_in.close()
    assert (ROOT / "zappa_settings.json").read_bytes() == committed


def get_stack(aws) -> dict:
    (stack,) = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    return stack


def test_the_stack_is_created_with_the_alarm_email_and_the_apis_id(deployed, aws):
    (stack,) = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    (api,) = [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == WEB]
    assert parameters["Env"] == ENV
    assert parameters["AlarmEmail"] == EMAIL  # given once, kept by the second run
    assert parameters["HttpApiId"] == api["ApiId"]  # the API's alarms
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["AlarmTopicArn"].endswith(f":BookLibrary-Alarms-{ENV}")


def test_the_secret_key_is_stored_once_and_never_shown(deployed, aws):
    ssm = aws("ssm")
    name = f"/booklibrary/{ENV}/SECRET_KEY"
    parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Version"] == 1  # the second deploy kept it
    key = parameter["Value"]
    assert len(key) >= 50 and len(set(key)) >= 5
    for stdout, _ in (deployed["first"], deployed["second"]):
        assert key not in stdout
    for file in (ROOT / "dist" / "deploy" / ENV).glob("*.json"):
        assert key not in file.read_text()
    for function in (WEB, WORKER):
        config = aws("lambda").get_function_configuration(FunctionName=function)
        assert key not in json.dumps(config)


def test_both_functions_have_zappas_settings_and_the_stacks_environment(deployed, aws):
    cloudformation = aws("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    (api,) = [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == WEB]
    zappa = json.loads((ROOT / "zappa_settings.json").read_text())
    for function, timeout in (
        (WEB, 30),
        (WORKER, zappa["dev_worker"]["timeout_seconds"]),
    ):
        config = aws("lambda").get_function_configuration(FunctionName=function)
        assert config["Handler"] == zappa["dev"]["lambda_handler"]
        assert config["Runtime"] == zappa["dev"]["runtime"]
        assert config["MemorySize"] == zappa["dev"]["memory_size"]
        assert config["Timeout"] == timeout
        assert config["Role"] == outputs["LambdaRoleArn"]
        assert config["Environment"]["Variables"] == {
            "ALLOWED_HOSTS": f"{api['ApiId']}.execute-api.{REGION}.amazonaws.com",
            "JOBS_QUEUE_URL": outputs["JobsQueueUrl"],
            "MEDIA_BUCKET": outputs["MediaBucketName"],
            "SECRET_KEY_PARAMETER": f"/booklibrary/{ENV}/SECRET_KEY",
        }
    # Each package carries its stage's zappa_settings.py, as `zappa package` writes it.
    web = zipfile.ZipFile(ROOT / "dist" / "deploy" / ENV / f"{WEB}.zip")
    worker = zipfile.ZipFile(ROOT / "dist" / "deploy" / ENV / f"{WORKER}.zip")
    web_settings = web.read("zappa_settings.py").decode()
    worker_settings = worker.read("zappa_settings.py").decode()
    assert f"API_STAGE='{ENV}'\n" in web_settings
    assert f"'BOOKLIBRARY_ENV': '{ENV}'" in web_settings
    assert "AWS_EVENT_MAPPING={}\n" in web_settings
    mapping = {outputs["JobsQueueArn"]: ["worker.sqs_handler.handle"]}
    assert f"AWS_EVENT_MAPPING={mapping!r}\n" in worker_settings
    assert web.getinfo("zappa_settings.py").external_attr >> 16 & 0o777 == 0o644


def test_the_http_api_reaches_the_web_function(deployed, aws):
    api_gw = aws("apigatewayv2")
    (api,) = [a for a in api_gw.get_apis()["Items"] if a["Name"] == WEB]
    web_arn = aws("lambda").get_function_configuration(FunctionName=WEB)["FunctionArn"]
    (integration,) = api_gw.get_integrations(ApiId=api["ApiId"])["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == web_arn
    assert integration["PayloadFormatVersion"] == "2.0"
    (route,) = api_gw.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    (stage,) = api_gw.get_stages(ApiId=api["ApiId"])["Items"]
    assert stage["StageName"] == ENV and stage["AutoDeploy"]
    policy = json.loads(aws("lambda").get_policy(FunctionName=WEB)["Policy"])
    principals = {s["Principal"]["Service"] for s in policy["Statement"]}
    assert principals == {"apigateway.amazonaws.com", "events.amazonaws.com"}
    stdout, report = deployed["first"]
    assert (
        report["url"]
        == f"https://{api['ApiId']}.execute-api.{REGION}.amazonaws.com/{ENV}"
    )
    assert f"URL: {report['url']}" in stdout


def test_the_queue_mapping_reports_batch_item_failures(deployed, aws):
    (stack,) = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    (mapping,) = aws("lambda").list_event_source_mappings(FunctionName=WORKER)[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == outputs["JobsQueueArn"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10


def test_the_schedules_are_zappas(deployed, aws):
    events = aws("events")
    rules = {r["Name"]: r for r in events.list_rules(NamePrefix=WEB)["Rules"]}
    sweep = f"{WORKER}-worker.sqs_handler.sweep"
    keep_warm = f"{WEB}-zappa-keep-warm-handler.keep_warm_callback"
    # Every scheduled event of the committed settings' worker stage, as Zappa names it.
    committed = json.loads((ROOT / "zappa_settings.json").read_text())
    scheduled = {
        f"{WORKER}-{event['function']}": event["expression"]
        for event in committed["dev_worker"]["events"]
        if "expression" in event
    }
    assert scheduled[sweep] == "rate(2 minutes)"
    assert set(rules) == {*scheduled, keep_warm}
    for name, expression in scheduled.items():
        assert rules[name]["ScheduleExpression"] == expression
    assert rules[keep_warm]["ScheduleExpression"] == "rate(4 minutes)"
    # Zappa's handler finds the function to run after the rule name's last "-".
    assert sweep.split("-")[-1] == "worker.sqs_handler.sweep"
    (target,) = events.list_targets_by_rule(Rule=sweep)["Targets"]
    worker_arn = aws("lambda").get_function_configuration(FunctionName=WORKER)[
        "FunctionArn"
    ]
    assert target["Arn"] == worker_arn


def test_the_smoke_checks_ran_against_the_deployed_package(deployed):
    stdout, _ = deployed["first"]
    assert '/health: 200 {"status": "healthy"}' in stdout
    assert "/home: 200" in stdout and "/login: 200" in stdout
    # Through the stand-in for API Gateway, on the stage's path.
    assert {f"/{ENV}/health", f"/{ENV}/home", f"/{ENV}/login"} <= set(
        deployed["stand_in"].paths
    )


def test_a_second_deploy_changes_nothing(deployed, capsys):
    _, first = deployed["first"]
    second_stdout, second = deployed["second"]
    with capsys.disabled():
        print(
            f"\nOffline deploy: first {first['seconds']:.1f} s, "
            f"{len(first['calls'])} AWS calls ({len(first['changes'])} changes), "
            f"smoke checks included; second {second['seconds']:.1f} s, "
            f"{len(second['calls'])} calls"
        )
    assert first["changes"]
    assert second["changes"] == [], second["changes"]
    assert second["api_id"] == first["api_id"]
    assert "0 changed something" in second_stdout
    assert re.search(r"Deployed \w+ in [\d.]+ s: \d+ AWS calls", second_stdout)


def test_a_deploy_finishes_what_an_interrupted_one_left_undone(deployed, aws, aws_env):
    # What a run stopped after the functions would have left undone.
    lam = aws("lambda")
    (mapping,) = lam.list_event_source_mappings(FunctionName=WORKER)[
        "EventSourceMappings"
    ]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    api_gw = aws("apigatewayv2")
    (api,) = [a for a in api_gw.get_apis()["Items"] if a["Name"] == WEB]
    (route,) = api_gw.get_routes(ApiId=api["ApiId"])["Items"]
    api_gw.delete_route(ApiId=api["ApiId"], RouteId=route["RouteId"])
    report = Path(aws_env["HOME"]) / "resumed.json"
    _, resumed = run("deploy", aws_env, "--no-smoke", report=report)
    assert sorted(resumed["changes"]) == [
        "apigatewayv2:CreateRoute",
        "lambda:CreateEventSourceMapping",
    ]
    (mapping,) = lam.list_event_source_mappings(FunctionName=WORKER)[
        "EventSourceMappings"
    ]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (route,) = api_gw.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"


def test_status_shows_the_stack_functions_tables_and_queues(deployed, aws_env):
    stdout, _ = run("status", aws_env)
    assert f"stack {STACK}: " in stdout
    assert (
        f"function {WEB}: Active" in stdout and f"function {WORKER}: Active" in stdout
    )
    for kind in ("Users", "Books", "UserBooks", "Loans"):
        assert f"table BookLibrary-{kind}-{ENV}: ACTIVE" in stdout
    assert "jobs queue: 0 waiting" in stdout
    assert "dead-letter queue: 0 waiting" in stdout
    assert "queue mapping: Enabled, ReportBatchItemFailures" in stdout
    logs, _ = run("logs", aws_env)
    assert f"== /aws/lambda/{WEB}, last 10 minutes" in logs
    assert f"== /aws/lambda/{WORKER}, last 10 minutes" in logs


def test_restore_drill_then_a_stage_pointed_at_the_restored_tables(
    deployed, aws, aws_env
):
    dynamo = aws("dynamodb")
    books = f"BookLibrary-Books-{ENV}"
    dynamo.put_item(TableName=books, Item={"key": {"S": "isbn:9780441172719"}})
    for kind in ("Users", "Books", "UserBooks", "Loans"):
        # Moto ignores the template's PointInTimeRecoverySpecification.
        dynamo.update_continuous_backups(
            TableName=f"BookLibrary-{kind}-{ENV}",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    stdout, report = run(
        "restore-drill", aws_env, "--keep", report=Path(aws_env["HOME"]) / "drill.json"
    )
    suffix = report["suffix"]
    restored = dynamo.scan(TableName=f"{books}{suffix}")["Items"]
    assert restored == [{"key": {"S": "isbn:9780441172719"}}]
    assert f"TABLE_SUFFIX={suffix}" in stdout

    run("deploy", aws_env, "--no-smoke", f"--table-suffix={suffix}")
    for function in (WEB, WORKER):
        env = aws("lambda").get_function_configuration(FunctionName=function)[
            "Environment"
        ]["Variables"]
        assert env["DYNAMODB_TABLE_SUFFIX"] == suffix
    status, _ = run("status", aws_env)
    assert f"table {books}{suffix}: ACTIVE" in status


def test_undeploy_removes_the_functions_and_the_stack_but_keeps_the_data(
    deployed, aws, aws_env
):
    (stack,) = aws("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    # Moto 5.2's CloudFormation cannot delete a managed policy it attached
    # (real CloudFormation detaches it first): detach it for moto.
    aws("iam").detach_role_policy(
        RoleName=outputs["LambdaRoleName"], PolicyArn=outputs["LambdaPolicyArn"]
    )
    refused = subprocess.run(
        [sys.executable, str(SCRIPT), "undeploy", "--env", ENV],
        cwd=ROOT,
        env=aws_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    assert get_stack(aws)["StackStatus"].endswith("_COMPLETE")
    stdout, _ = run("undeploy", aws_env, "--yes")
    lam = aws("lambda")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert not {WEB, WORKER} & names
    assert not [a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == WEB]
    assert not aws("events").list_rules(NamePrefix=WEB)["Rules"]
    stacks = aws("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == STACK} == {
        "DELETE_COMPLETE"
    }
    tables = aws("dynamodb").list_tables()["TableNames"]
    for kind in ("Users", "Books", "UserBooks", "Loans"):
        assert f"BookLibrary-{kind}-{ENV}" in tables
        assert f"DynamoDB table BookLibrary-{kind}-{ENV}" in stdout
    buckets = {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    assert outputs["MediaBucketName"] in buckets
    assert outputs["DeployBucketName"] not in buckets
    assert f"S3 bucket {outputs['MediaBucketName']}" in stdout
