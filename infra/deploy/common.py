"""Names, clients, call counting and messages shared by the deploy's steps."""

import re
import time
from collections import Counter
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]


TEMPLATE = ROOT / "infra" / "cloudformation.yaml"


ZAPPA_SETTINGS = ROOT / "zappa_settings.json"


ENV_PATTERN = r"^[a-z][a-z0-9]{1,11}$"


TABLE_KINDS = ("Users", "Books", "UserBooks", "Loans")


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
