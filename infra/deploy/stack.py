"""The CloudFormation stack and the secret key in SSM."""

import re
import secrets
import time

import botocore.exceptions

from infra.deploy.common import TEMPLATE, DeployError, Stage, error_code, say


def wait_stack(stage: Stage, waiter: str) -> None:
    stage.client("cloudformation").get_waiter(waiter).wait(
        StackName=stage.stack, WaiterConfig={"Delay": 5, "MaxAttempts": 360}
    )


def settled_stack(stage: Stage) -> dict | None:
    """The stack once no operation is under way; None when absent or deleted."""
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
        stage.client("cloudformation").delete_stack(StackName=stage.stack)
        wait_stack(stage, "stack_delete_complete")
        return None
    if stack and stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED":
        raise DeployError(
            f"The stack is UPDATE_ROLLBACK_FAILED: run `aws cloudformation "
            f"continue-update-rollback --stack-name {stage.stack}`, then deploy again."
        )
    if stack and stack["StackStatus"] == "DELETE_COMPLETE":
        return None
    return stack


def stack_request(stage: Stage, parameters: dict[str, str]) -> dict:
    """What create_stack and update_stack are given."""
    return {
        "StackName": stage.stack,
        "TemplateBody": TEMPLATE.read_text(encoding="utf-8"),
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()
        ],
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": [{"Key": "booklibrary:env", "Value": stage.env}],
    }


_RESOURCE = re.compile(r"^  (\w+):\n    Type: AWS::DynamoDB::Table$", re.MULTILINE)
_NEXT_RESOURCE = re.compile(r"^  \w+:$", re.MULTILINE)
_INDEX = re.compile(r"^\s*- IndexName: (\S+)$", re.MULTILINE)


def table_indexes(template: str) -> dict[str, set[str]]:
    """Each table resource of a template and the names of its global indexes."""
    found = {}
    for match in _RESOURCE.finditer(template):
        rest = template[match.end() :]
        end = _NEXT_RESOURCE.search(rest)
        block = rest[: end.start()] if end else rest
        found[match.group(1)] = set(_INDEX.findall(block))
    return found


def check_index_changes(deployed: str, wanted: str) -> None:
    """Refuse an update that adds or removes more than one index of a table.

    DynamoDB builds one new global index per table update, and CloudFormation
    fails (and rolls back) a stack update asking for more; a release adds its
    indexes one deploy at a time.
    """
    before, after = table_indexes(deployed), table_indexes(wanted)
    for table in sorted(before.keys() & after.keys()):
        changed = sorted(before[table] ^ after[table])
        if len(changed) > 1:
            raise DeployError(
                f"The update changes {len(changed)} indexes of {table} "
                f"({', '.join(changed)}); DynamoDB adds or removes one per update. "
                "Deploy a template that changes one of them first."
            )


def ensure_stack(stage: Stage, wanted: dict[str, str]) -> None:
    """Create the stack, or update it when its template or a parameter differs."""
    cloudformation = stage.client("cloudformation")
    stack = settled_stack(stage)
    if stack is None:
        say(f"== stack {stage.stack}: creating")
        cloudformation.create_stack(**stack_request(stage, wanted))
        wait_stack(stage, "stack_create_complete")
        stage._outputs = None
        return
    current = {
        p["ParameterKey"]: p.get("ParameterValue", "")
        for p in stack.get("Parameters", [])
    }
    request = stack_request(stage, {**current, **wanted})
    deployed = cloudformation.get_template(StackName=stage.stack)["TemplateBody"]
    if {**current, **wanted} == current and deployed == request["TemplateBody"]:
        say(f"== stack {stage.stack}: up to date ({stack['StackStatus']})")
        return
    say(f"== stack {stage.stack}: updating")
    check_index_changes(deployed, request["TemplateBody"])
    try:
        cloudformation.update_stack(**request)
    except botocore.exceptions.ClientError as exc:
        if "No updates are to be performed" not in str(exc):
            raise
        say("   no change")
        return
    wait_stack(stage, "stack_update_complete")
    stage._outputs = None


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
