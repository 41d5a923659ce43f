"""The two Lambda functions: code, configuration, invoke permissions."""

import json
import time
from pathlib import Path

import botocore.exceptions

from infra.deploy.common import Stage, error_code, say
from infra.deploy.packages import package_digest, resolved

ROLE_ATTEMPTS = 12


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
    digest = package_digest(package)
    description = f"Book Library {stage.env}, package {digest}"
    found = get_function(stage, name)
    if found is None:
        return create_function(stage, name, package, config, environment, digest)
    current = found["Configuration"]
    config = dict(config)
    architectures = config.pop("Architectures")
    changed = []
    if (
        current.get("Description") != description
        or current.get("Architectures") != architectures
    ):
        code = upload(stage, package, digest)
        stage.client("lambda").update_function_code(
            FunctionName=name, Publish=True, Architectures=architectures, **code
        )
        stage.client("s3").delete_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
        wait_function(stage, name, "function_updated_v2")
        changed.append("code")
    if configure(stage, current, {**config, "Description": description}, environment):
        changed.append("configuration")
    say(
        f"== function {name}: "
        + (" and ".join(changed) + " updated" if changed else "up to date")
    )
    return current["FunctionArn"]


def create_function(
    stage: Stage,
    name: str,
    package: Path,
    config: dict,
    environment: dict[str, str],
    digest: str,
) -> str:
    """Upload the package and create the function with Zappa's settings."""
    code = upload(stage, package, digest)
    request = {
        "FunctionName": name,
        "Description": f"Book Library {stage.env}, package {digest}",
        "Code": code,
        "Publish": True,
        "Environment": {"Variables": {k: v for k, v in environment.items() if v}},
        "PackageType": "Zip",
        **config,
    }
    for attempt in range(ROLE_ATTEMPTS):
        try:
            created = stage.client("lambda").create_function(**request)
            break
        except botocore.exceptions.ClientError as exc:
            # A role the stack has just made takes a few seconds to reach Lambda.
            young_role = "cannot be assumed" in str(exc)
            if not young_role or attempt + 1 == ROLE_ATTEMPTS:
                raise
            time.sleep(5)
    stage.client("s3").delete_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
    wait_function(stage, name, "function_active_v2")
    say(f"== function {name}: created")
    return created["FunctionArn"]


def configure(
    stage: Stage, current: dict, config: dict, environment: dict[str, str]
) -> bool:
    """Update the configuration when it differs; say whether it did.

    The environment is merged: variables set by hand are kept, an empty value
    removes one, and a SECRET_KEY left by a manual deploy goes (SSM has it).
    """
    name = current["FunctionName"]
    have_env = current.get("Environment", {}).get("Variables", {})
    merged = {**have_env, **environment}
    want_env = {k: v for k, v in merged.items() if k != "SECRET_KEY" and v != ""}
    if {key: current.get(key) for key in config} == config and have_env == want_env:
        return False
    stage.client("lambda").update_function_configuration(
        FunctionName=name, Environment={"Variables": want_env}, **config
    )
    wait_function(stage, name, "function_updated_v2")
    if "SECRET_KEY" in have_env:
        say(f"   {name}: SECRET_KEY removed from the environment (read from SSM now)")
    return True


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
