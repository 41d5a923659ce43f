"""Deploy a Book Library stage to AWS in one command, and look after it.

    make deploy ENV=dev          python scripts/deploy.py deploy --env dev
    make status ENV=dev          python scripts/deploy.py status --env dev
    make logs ENV=dev            python scripts/deploy.py logs --env dev
    make restore-drill ENV=dev   python scripts/deploy.py restore-drill --env dev
    make undeploy ENV=dev        python scripts/deploy.py undeploy --env dev

`deploy` needs AWS credentials and a region (AWS_REGION) the way boto3 finds
them; ALARM_EMAIL, MONTHLY_BUDGET_USD and TABLE_SUFFIX are optional and, once
given, kept by later runs. It does what `zappa deploy` and the README's manual
steps did, through boto3 calls rather than the zappa CLI:

1. the stack (infra/cloudformation.yaml) as `booklibrary-infra-<env>`, created
   or updated, and only when its template or parameters differ;
2. SECRET_KEY in SSM Parameter Store, generated once and never printed;
3. the stage's Zappa settings (dist/deploy/<env>/zappa_settings.json, derived
   from zappa_settings.json and the stack's outputs), the base package
   (scripts/package, rebuilt when older than its sources) and, from it, the
   web and worker packages, each with the zappa_settings.py that
   `zappa save-python-settings-file` writes for its stage;
4. the functions booklibrary-<env> and booklibrary-<env>-worker with Zappa's
   names, handler, runtime, memory and timeout: code uploaded only when the
   package's contents changed, configuration only when it differs;
5. the HTTP API (integration, $default route, the <env> stage, invoke
   permission), the keep-warm and metadata-sweep schedules, and the queue's
   event source mapping with ReportBatchItemFailures;
6. the API's id into the stack (its 5xx and p95 latency alarms);
7. the smoke checks, and the URL.

Every step first reads what exists, so a second run changes nothing and an
interrupted run is finished by the next. The calls made are counted and
listed at the end (--report writes them as JSON).
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "cloudformation.yaml"
ZAPPA_SETTINGS = ROOT / "zappa_settings.json"
BASE_PACKAGE = ROOT / "dist" / "booklibrary-dev.zip"
ENV_PATTERN = r"^[a-z][a-z0-9]{1,11}$"
TABLE_KINDS = ("Users", "Books", "UserBooks")
# Lambda environment variables the deploy owns; any other one set on a
# function (SMTP_HOST, GOOGLE_BOOKS_API_KEY...) is kept as it is.
SECRET_ENV = "SECRET_KEY_PARAMETER"
# What goes into the package: a base package older than any of these is rebuilt
# (the same rule as tests/test_package.py).
PACKAGE_SOURCES = (
    "booklibrary",
    "accounts",
    "catalog",
    "worker",
    "templates",
    "static",
    "requirements.txt",
    "requirements-dev.txt",
    "zappa_settings.json",
    "scripts/package",
)
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
# `zappa save-python-settings-file STAGE -s FILE -o PATH` for several stages:
# argv is the settings file, then STAGE=PATH pairs.
SAVE_PYTHON_SETTINGS = """
import sys
from pathlib import Path
from zappa.cli import ZappaCLI
for pair in sys.argv[2:]:
    stage, path = pair.split("=", 1)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(sys.argv[1])
    cli.save_python_settings_file(path)
"""
# Operations that change something (a second deploy makes none of them).
MUTATING = re.compile(
    r"^(Create|Update|Put|Delete|Add|Remove|Tag|Untag|Restore|Publish|Upload|Start)"
)


class DeployError(Exception):
    """A refusal with what to do about it."""


class Calls:
    """Every AWS API call made through the session, in order."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.made: list[tuple[str, str]] = []
        session.events.register("before-call", self._record)

    def _record(self, model, **_kwargs) -> None:
        self.made.append((model.service_model.service_name, model.name))

    def changes(self) -> list[str]:
        return [f"{s}:{op}" for s, op in self.made if MUTATING.match(op)]

    def summary(self) -> str:
        counts = Counter(service for service, _ in self.made)
        per = ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))
        changed = len(self.changes())
        return f"{len(self.made)} AWS calls ({per}); {changed} changed something"


STARTED = time.perf_counter()


def say(message: str) -> None:
    """Print a line; a step's line ("== ...") with the seconds since the start."""
    if message.startswith("== "):
        message = f"{message}  [{time.perf_counter() - STARTED:.1f} s]"
    print(message, flush=True)


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class Stage:
    """One stage's names, and the clients to reach its resources."""

    def __init__(self, env: str, session: boto3.session.Session) -> None:
        if not re.fullmatch(ENV_PATTERN, env):
            raise DeployError(
                f"ENV={env!r}: use 2-12 lower-case letters or digits, starting "
                "with a letter (e.g. dev, prod)."
            )
        if not session.region_name:
            raise DeployError("No region: export AWS_REGION (e.g. us-west-2).")
        self.env = env
        self.session = session
        self.region = session.region_name
        self.stack = f"booklibrary-infra-{env}"
        # Zappa's names: slugify("{project_name}-{stage}").
        self.web = f"booklibrary-{env}"
        self.worker = f"booklibrary-{env}-worker"
        self.web_stage, self.worker_stage = env, f"{env}_worker"
        self.work = ROOT / "dist" / "deploy" / env
        self._clients: dict[str, object] = {}
        self._outputs: dict[str, str] | None = None

    def client(self, service: str):
        if service not in self._clients:
            config = Config(retries={"mode": "standard", "max_attempts": 8})
            self._clients[service] = self.session.client(service, config=config)
        return self._clients[service]

    def tables(self, suffix: str = "") -> list[str]:
        return [f"BookLibrary-{kind}-{self.env}{suffix}" for kind in TABLE_KINDS]

    def describe_stack(self) -> dict | None:
        try:
            (stack,) = self.client("cloudformation").describe_stacks(
                StackName=self.stack
            )["Stacks"]
        except botocore.exceptions.ClientError as exc:
            if "does not exist" in str(exc):
                return None
            raise
        return stack

    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            stack = self.describe_stack()
            if stack is None:
                raise DeployError(
                    f"No stack {self.stack}: run `make deploy ENV={self.env}`."
                )
            self._outputs = {
                o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])
            }
        return self._outputs

    def account(self) -> str:
        return self.outputs()["JobsQueueArn"].split(":")[4]

    def partition(self) -> str:
        return self.outputs()["JobsQueueArn"].split(":")[1]

    def find_api(self) -> dict | None:
        apis = self.client("apigatewayv2").get_apis().get("Items", [])
        named = [api for api in apis if api["Name"] == self.web]
        return named[0] if named else None

    def api_host(self, api_id: str) -> str:
        return f"{api_id}.execute-api.{self.region}.amazonaws.com"

    def url(self, api_id: str) -> str:
        return f"https://{self.api_host(api_id)}/{self.env}"


# --- 1. The stack ----------------------------------------------------------------


def wait_stack(stage: Stage, waiter: str) -> None:
    stage.client("cloudformation").get_waiter(waiter).wait(
        StackName=stage.stack, WaiterConfig={"Delay": 5, "MaxAttempts": 360}
    )


def ensure_stack(stage: Stage, wanted: dict[str, str]) -> None:
    """Create the stack, or update it when its template or a parameter differs."""
    cloudformation = stage.client("cloudformation")
    body = TEMPLATE.read_text(encoding="utf-8")
    stack = stage.describe_stack()
    if stack and stack["StackStatus"].endswith("_IN_PROGRESS"):
        say(f"   the stack is {stack['StackStatus']}: waiting for it")
        while stack and stack["StackStatus"].endswith("_IN_PROGRESS"):
            time.sleep(5)
            stack = stage.describe_stack()
    if stack and stack["StackStatus"] in {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}:
        # A first creation that failed leaves a stack that can only be deleted.
        say(
            f"   the stack's creation failed ({stack['StackStatus']}): "
            "deleting it first"
        )
        cloudformation.delete_stack(StackName=stage.stack)
        wait_stack(stage, "stack_delete_complete")
        stack = None
    if stack and stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED":
        raise DeployError(
            f"The stack is UPDATE_ROLLBACK_FAILED: run `aws cloudformation "
            f"continue-update-rollback --stack-name {stage.stack}`, then deploy again."
        )
    if stack is None:
        say(f"== stack {stage.stack}: creating")
        cloudformation.create_stack(
            StackName=stage.stack,
            TemplateBody=body,
            Parameters=[
                {"ParameterKey": k, "ParameterValue": v} for k, v in wanted.items()
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Tags=[{"Key": "booklibrary:env", "Value": stage.env}],
        )
        wait_stack(stage, "stack_create_complete")
        stage._outputs = None
        return
    current = {
        p["ParameterKey"]: p.get("ParameterValue", "")
        for p in stack.get("Parameters", [])
    }
    parameters = {**current, **wanted}
    deployed = cloudformation.get_template(StackName=stage.stack)["TemplateBody"]
    if parameters == current and deployed == body:
        say(f"== stack {stage.stack}: up to date ({stack['StackStatus']})")
        return
    say(f"== stack {stage.stack}: updating")
    try:
        cloudformation.update_stack(
            StackName=stage.stack,
            TemplateBody=body,
            Parameters=[
                {"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Tags=[{"Key": "booklibrary:env", "Value": stage.env}],
        )
    except botocore.exceptions.ClientError as exc:
        if "No updates are to be performed" not in str(exc):
            raise
        say("   no change")
        return
    wait_stack(stage, "stack_update_complete")
    stage._outputs = None


# --- 2. The secret key -----------------------------------------------------------


def ensure_secret_key(stage: Stage) -> str:
    """Store a random SECRET_KEY once; return the parameter's name. Never printed."""
    name = stage.outputs()["SecretKeyParameterName"]
    ssm = stage.client("ssm")
    try:
        ssm.get_parameter(Name=name)  # not decrypted: only whether it exists
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) != "ParameterNotFound":
            raise
        ssm.put_parameter(
            Name=name,
            Description=f"Book Library {stage.env}: Django SECRET_KEY",
            Value=secrets.token_urlsafe(48),
            Type="SecureString",
            Overwrite=False,
        )
        say(f"== secret key: generated and stored in {name} (SecureString)")
    else:
        say(f"== secret key: kept ({name})")
    return name


# --- 3. The packages -------------------------------------------------------------


def stage_settings(stage: Stage) -> dict:
    """The stage's Zappa settings: zappa_settings.json's dev stages, for this stack."""
    committed = json.loads(ZAPPA_SETTINGS.read_text(encoding="utf-8"))
    outputs = stage.outputs()
    web = json.loads(json.dumps(committed["dev"]))
    web.update(
        aws_region=stage.region,
        s3_bucket=outputs["DeployBucketName"],
        role_name=outputs["LambdaRoleName"],
    )
    web["environment_variables"] = {
        **web.get("environment_variables", {}),
        "BOOKLIBRARY_ENV": stage.env,
    }
    worker = json.loads(json.dumps(committed["dev_worker"]))
    worker["extends"] = stage.web_stage
    for event in worker.get("events", []):
        if "event_source" in event:
            event["event_source"]["arn"] = outputs["JobsQueueArn"]
    return {stage.web_stage: web, stage.worker_stage: worker}


def resolved(settings: dict, name: str) -> dict:
    """A stage's settings with what it ``extends`` filled in."""
    own = settings[name]
    base = resolved(settings, own["extends"]) if "extends" in own else {}
    return {**base, **{k: v for k, v in own.items() if k != "extends"}}


def offline_env() -> dict[str, str]:
    """The environment of an offline Zappa command (as scripts/package runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="offline",
        AWS_SECRET_ACCESS_KEY="offline",
        AWS_DEFAULT_REGION="us-west-2",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def base_package_is_stale() -> bool:
    if not BASE_PACKAGE.exists():
        return True
    built = BASE_PACKAGE.stat().st_mtime
    for name in PACKAGE_SOURCES:
        path = ROOT / name
        for file in path.rglob("*") if path.is_dir() else [path]:
            fresh = file.is_file() and "__pycache__" not in file.parts
            if fresh and file.stat().st_mtime > built:
                return True
    return False


def build_packages(stage: Stage, rebuild: bool) -> dict[str, Path]:
    """Write the stage's settings file and its two packages; return them by function."""
    if rebuild or base_package_is_stale():
        say("== package: building the base package (scripts/package)")
        subprocess.run([str(ROOT / "scripts" / "package"), "dev"], cwd=ROOT, check=True)
    else:
        say(f"== package: {BASE_PACKAGE.relative_to(ROOT)} is up to date")
    if shutil.which("zip") is None:
        raise DeployError(
            "`zip` is missing: run scripts/system-deps (or apt-get install zip)."
        )
    stage.work.mkdir(parents=True, exist_ok=True)
    settings_file = stage.work / "zappa_settings.json"
    settings_file.write_text(json.dumps(stage_settings(stage), indent=2) + "\n")
    folder = Path(tempfile.mkdtemp(prefix="zappa-settings-", dir=stage.work))
    pairs = [
        (stage.web, stage.web_stage, folder / "web" / "zappa_settings.py"),
        (stage.worker, stage.worker_stage, folder / "worker" / "zappa_settings.py"),
    ]
    packages = {}
    try:
        # Zappa's own `save-python-settings-file` for each stage, in one process.
        subprocess.run(
            [sys.executable, "-c", SAVE_PYTHON_SETTINGS, str(settings_file)]
            + [f"{zappa_stage}={path}" for _, zappa_stage, path in pairs],
            cwd=ROOT,
            env=offline_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for function, _, python_settings in pairs:
            python_settings.chmod(0o644)  # what Lambda needs (and Zappa sets)
            package = stage.work / f"{function}.zip"
            packages[function] = package
            if (
                package.exists()
                and package.stat().st_mtime > BASE_PACKAGE.stat().st_mtime
            ):
                with zipfile.ZipFile(package) as archive:
                    if (
                        archive.read("zappa_settings.py")
                        == python_settings.read_bytes()
                    ):
                        continue
            shutil.copyfile(BASE_PACKAGE, package)
            # Swap the stage's settings in; all else is the same for every stage.
            subprocess.run(
                ["zip", "-q", "-d", str(package), "zappa_settings.py"], check=True
            )
            subprocess.run(
                ["zip", "-q", "-j", str(package), str(python_settings)], check=True
            )
    finally:
        shutil.rmtree(folder)
    say(f"== package: {', '.join(str(p.relative_to(ROOT)) for p in packages.values())}")
    return packages


def package_digest(package: Path) -> str:
    """A digest of a package's contents (names, sizes, CRCs), not of its timestamps."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(package) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            digest.update(f"{info.filename}\0{info.file_size}\0{info.CRC}\n".encode())
    return digest.hexdigest()[:20]


# --- 4. The functions ------------------------------------------------------------


def function_config(stage: Stage, settings: dict, function: str) -> dict:
    """What `zappa deploy` gives a function (Zappa.create_lambda_function)."""
    zappa_stage = stage.web_stage if function == stage.web else stage.worker_stage
    own = resolved(settings, zappa_stage)
    return {
        "Role": stage.outputs()["LambdaRoleArn"],
        "Handler": own.get("lambda_handler", "handler.lambda_handler"),
        "Runtime": own["runtime"],
        "Timeout": int(own.get("timeout_seconds", 30)),
        "MemorySize": int(own.get("memory_size", 512)),
        "Architectures": [own.get("architecture", "x86_64")],
    }


def get_function(stage: Stage, name: str) -> dict | None:
    try:
        return stage.client("lambda").get_function(FunctionName=name)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def wait_function(stage: Stage, name: str, waiter: str) -> None:
    stage.client("lambda").get_waiter(waiter).wait(
        FunctionName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 150}
    )


def upload(stage: Stage, package: Path, digest: str) -> dict:
    """Put the package in the deployment bucket (as Zappa does); return its location."""
    bucket = stage.outputs()["DeployBucketName"]
    key = f"packages/{package.stem}-{digest}.zip"
    stage.client("s3").upload_file(str(package), bucket, key)
    return {"S3Bucket": bucket, "S3Key": key}


def ensure_function(
    stage: Stage, name: str, package: Path, config: dict, environment: dict[str, str]
) -> str:
    """Create or update one function; return its ARN."""
    lam = stage.client("lambda")
    digest = package_digest(package)
    description = f"Book Library {stage.env}, package {digest}"
    found = get_function(stage, name)
    if found is None:
        code = upload(stage, package, digest)
        created = lam.create_function(
            FunctionName=name,
            Description=description,
            Code=code,
            Publish=True,
            Environment={"Variables": {k: v for k, v in environment.items() if v}},
            PackageType="Zip",
            **config,
        )
        stage.client("s3").delete_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
        wait_function(stage, name, "function_active_v2")
        say(f"== function {name}: created")
        return created["FunctionArn"]
    current = found["Configuration"]
    arn = current["FunctionArn"]
    changed = []
    config = dict(config)
    architectures = config.pop("Architectures")
    if (
        current.get("Description") != description
        or current.get("Architectures") != architectures
    ):
        code = upload(stage, package, digest)
        lam.update_function_code(
            FunctionName=name, Publish=True, Architectures=architectures, **code
        )
        stage.client("s3").delete_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
        wait_function(stage, name, "function_updated_v2")
        changed.append("code")
    have_env = current.get("Environment", {}).get("Variables", {})
    want_env = {
        k: v for k, v in {**have_env, **environment}.items() if k != "SECRET_KEY"
    }
    want_env = {k: v for k, v in want_env.items() if v != ""}
    have = {key: current.get(key) for key in config}
    if (
        have != config
        or have_env != want_env
        or current.get("Description") != description
    ):
        lam.update_function_configuration(
            FunctionName=name,
            Description=description,
            Environment={"Variables": want_env},
            **config,
        )
        wait_function(stage, name, "function_updated_v2")
        changed.append("configuration")
        if "SECRET_KEY" in have_env:
            say(
                f"   {name}: SECRET_KEY removed from the environment "
                "(read from SSM now)"
            )
    say(
        f"== function {name}: "
        + (" and ".join(changed) + " updated" if changed else "up to date")
    )
    return arn


def function_statements(stage: Stage, name: str) -> dict[str, dict]:
    try:
        policy = stage.client("lambda").get_policy(FunctionName=name)["Policy"]
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return {}
        raise
    return {s["Sid"]: s for s in json.loads(policy).get("Statement", [])}


def allow_invoke(
    stage: Stage, name: str, statements: dict, sid: str, principal: str, source_arn: str
) -> None:
    if sid in statements:
        return
    stage.client("lambda").add_permission(
        FunctionName=name,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
    )


# --- 5. API, schedules, queue mapping ----------------------------------------------


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
    events = stage.client("events")
    made = []
    statements = {name: function_statements(stage, name) for name in arns}
    for function, event in schedules(stage, settings):
        name = rule_name(event, function)
        wanted = {
            "ScheduleExpression": event["expression"],
            "State": "ENABLED",
            "Description": event.get("description", event["function"]),
        }
        try:
            rule = events.describe_rule(Name=name)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            rule = {}
        if {key: rule.get(key) for key in wanted} != wanted:
            rule = events.put_rule(Name=name, **wanted)
            made.append(name)
        rule_arn = rule.get("RuleArn") or rule["Arn"]
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
        if not any(t["Arn"] == arns[function] for t in targets):
            events.put_targets(
                Rule=name,
                Targets=[
                    {
                        "Id": "booklibrary",
                        "Arn": arns[function],
                        "InputTransformer": {
                            "InputPathsMap": SCHEDULE_INPUT_PATHS,
                            "InputTemplate": SCHEDULE_INPUT_TEMPLATE,
                        },
                    }
                ],
            )
            made.append(name)
        sid = f"events-{name}"[:100]
        if sid not in statements[function]:
            made.append(name)
        allow_invoke(
            stage, function, statements[function], sid, "events.amazonaws.com", rule_arn
        )
    rules = [
        rule_name(event, function) for function, event in schedules(stage, settings)
    ]
    changed = [name for name in rules if name in made]
    say(
        f"== schedules: {len(rules)} rules, "
        + (f"set: {', '.join(changed)}" if changed else "up to date")
    )


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


# --- 7. Smoke checks ---------------------------------------------------------------


def fetch(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "booklibrary-deploy"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def smoke_checks(base: str, attempts: int = 6) -> None:
    """/health answers {"status": "healthy"}, /home and /login 200 (retried, cold)."""
    checks = [("/health", {"status": "healthy"}), ("/home", None), ("/login", None)]
    for path, body in checks:
        for attempt in range(attempts):
            try:
                status, content = fetch(base.rstrip("/") + path)
            except OSError as exc:
                status, content = 0, str(exc).encode()
            if status == 200:
                break
            if attempt + 1 < attempts:
                time.sleep(min(2**attempt, 10))
        if status != 200:
            raise DeployError(f"smoke check {path}: {status} {content[:300]!r}")
        if body is not None and json.loads(content) != body:
            raise DeployError(f"smoke check {path}: {content[:300]!r}")
        say(f"   {path}: 200" + (f" {content.decode()}" if body else ""))


# --- The commands ------------------------------------------------------------------


def deploy(stage: Stage, args: argparse.Namespace) -> dict:
    settings_zappa = json.loads(ZAPPA_SETTINGS.read_text(encoding="utf-8"))
    worker_timeout = str(settings_zappa["dev_worker"].get("timeout_seconds", 120))
    api = stage.find_api()
    wanted = {"Env": stage.env, "WorkerTimeoutSeconds": worker_timeout}
    if args.alarm_email is not None:
        wanted["AlarmEmail"] = args.alarm_email
    if args.monthly_budget is not None:
        wanted["MonthlyBudgetUsd"] = str(args.monthly_budget)
    if api:
        wanted["HttpApiId"] = api["ApiId"]
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
    arns = {}
    for function in (stage.web, stage.worker):
        arns[function] = ensure_function(
            stage,
            function,
            packages[function],
            function_config(stage, settings, function),
            environment,
        )
    api_id = ensure_api(stage, arns[stage.web])
    if "ALLOWED_HOSTS" not in environment:  # a first deploy: the API is new
        environment["ALLOWED_HOSTS"] = stage.api_host(api_id)
        for function in (stage.web, stage.worker):
            ensure_function(
                stage,
                function,
                packages[function],
                function_config(stage, settings, function),
                environment,
            )
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
    confirm_undeploy(stage, args.yes)
    lam = stage.client("lambda")
    stack = stage.describe_stack()
    if stack is not None:
        queue = stage.outputs()["JobsQueueArn"]
        for mapping in lam.list_event_source_mappings(
            FunctionName=stage.worker, EventSourceArn=queue
        ).get("EventSourceMappings", []):
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
            say("== queue mapping: deleted")
    events = stage.client("events")
    prefix_rules = events.list_rules(NamePrefix=f"{stage.web}-").get("Rules", [])
    for rule in prefix_rules:
        if not rule["Name"].startswith((f"{stage.web}-", f"{stage.worker}-")):
            continue
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
    if stack is not None:
        bucket = stage.outputs()["DeployBucketName"]
        s3 = stage.client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        media = stage.outputs()["MediaBucketName"]
        parameter = stage.outputs()["SecretKeyParameterName"]
        stage.client("cloudformation").delete_stack(StackName=stage.stack)
        wait_stack(stage, "stack_delete_complete")
        say(f"== stack {stage.stack}: deleted")
        say("Kept (the template retains them, with your data):")
        for table in stage.tables():
            say(f"   DynamoDB table {table}")
        say(f"   S3 bucket {media}")
        say(
            f"   SSM parameter {parameter} "
            "(the secret key: sessions stay valid on a redeploy)"
        )
        say(
            "A later `make deploy ENV=...` of this stage cannot create tables or a "
            "bucket of the same names: delete them first (after a backup), or use "
            "another ENV."
        )
    else:
        say(f"== stack {stage.stack}: absent")
    return {}


def status(stage: Stage, args: argparse.Namespace) -> dict:
    stack = stage.describe_stack()
    if stack is None:
        say(f"stack {stage.stack}: absent")
        return {"stack": None}
    say(f"stack {stage.stack}: {stack['StackStatus']}")
    outputs = stage.outputs()
    report: dict = {"stack": stack["StackStatus"], "functions": {}, "tables": {}}
    for function in (stage.web, stage.worker):
        found = get_function(stage, function)
        if found is None:
            say(f"function {function}: absent")
            continue
        c = found["Configuration"]
        report["functions"][function] = c.get("State", "")
        say(
            f"function {function}: {c.get('State', '?')}, "
            f"{c.get('LastUpdateStatus', '?')}, "
            f"{c['Runtime']}, {c['MemorySize']} MB, {c['Timeout']} s, "
            f"{c['CodeSize'] / 2**20:.1f} MiB, modified {c['LastModified']} "
            f"({c.get('Description', '')})"
        )
    suffix = ""
    web = get_function(stage, stage.web)
    if web:
        env = web["Configuration"].get("Environment", {}).get("Variables", {})
        suffix = env.get("DYNAMODB_TABLE_SUFFIX", "")
    dynamo = stage.client("dynamodb")
    for table in stage.tables(suffix):
        try:
            t = dynamo.describe_table(TableName=table)["Table"]
        except botocore.exceptions.ClientError:
            say(f"table {table}: absent")
            continue
        report["tables"][table] = t["TableStatus"]
        say(f"table {table}: {t['TableStatus']}, about {t.get('ItemCount', 0)} items")
    sqs = stage.client("sqs")
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
        report[label] = int(a["ApproximateNumberOfMessages"])
        say(
            f"{label}: {a['ApproximateNumberOfMessages']} waiting, "
            f"{a['ApproximateNumberOfMessagesNotVisible']} in flight, "
            f"{a['ApproximateNumberOfMessagesDelayed']} delayed"
        )
    for mapping in (
        stage.client("lambda")
        .list_event_source_mappings(FunctionName=stage.worker)
        .get("EventSourceMappings", [])
    ):
        say(
            f"queue mapping: {mapping.get('State')}, "
            + (
                ",".join(mapping.get("FunctionResponseTypes", []))
                or "no batch item failures"
            )
        )
    alarms = stage.client("cloudwatch").describe_alarms(
        AlarmNamePrefix=f"BookLibrary-{stage.env}-"
    )["MetricAlarms"]
    for alarm in alarms:
        say(f"alarm {alarm['AlarmName']}: {alarm['StateValue']}")
    api = stage.find_api()
    if api:
        say(f"url: {stage.url(api['ApiId'])}")
    return report


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


COMMANDS = {
    "deploy": deploy,
    "undeploy": undeploy,
    "status": status,
    "logs": logs,
    "restore-drill": restore_drill,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--env", default=os.environ.get("ENV") or "dev")
    parser.add_argument(
        "--alarm-email",
        default=os.environ.get("ALARM_EMAIL") or None,
        help="where alarms and budget notices go (default: ALARM_EMAIL, else kept)",
    )
    parser.add_argument(
        "--monthly-budget",
        type=int,
        default=int(os.environ["MONTHLY_BUDGET_USD"])
        if os.environ.get("MONTHLY_BUDGET_USD")
        else None,
        help="the monthly cost budget in USD (default: MONTHLY_BUDGET_USD, else kept)",
    )
    parser.add_argument(
        "--table-suffix",
        default=os.environ.get("TABLE_SUFFIX"),
        help="point the stage at restored tables (default: TABLE_SUFFIX, else kept)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the base package"
    )
    parser.add_argument("--smoke-url", help="run the smoke checks against this URL")
    parser.add_argument("--no-smoke", action="store_true")
    parser.add_argument("--yes", action="store_true", help="undeploy: do not ask")
    parser.add_argument(
        "--keep", action="store_true", help="restore-drill: keep the tables"
    )
    parser.add_argument("--minutes", type=int, default=10, help="logs: how far back")
    parser.add_argument("--report", type=Path, help="write the calls made as JSON here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # AWS_REGION, as the original guide exports it; else boto3's own
    # (AWS_DEFAULT_REGION, the profile).
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)
    calls = Calls(session)
    try:
        stage = Stage(args.env, session)
        result = COMMANDS[args.command](stage, args)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except botocore.exceptions.NoCredentialsError:
        print(
            "error: no AWS credentials (aws configure, or AWS_PROFILE).",
            file=sys.stderr,
        )
        return 1
    seconds = time.perf_counter() - started
    if args.command == "deploy":
        say(f"Deployed {stage.env} in {seconds:.1f} s: {calls.summary()}")
        say(f"URL: {result['url']}")
    if args.report:
        args.report.write_text(
            json.dumps(
                {
                    **result,
                    "seconds": seconds,
                    "calls": [f"{s}:{op}" for s, op in calls.made],
                    "changes": calls.changes(),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
