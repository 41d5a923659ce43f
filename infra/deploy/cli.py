"""The command line: `python scripts/deploy.py COMMAND --env ENV`."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import boto3
import botocore.exceptions

from infra.deploy.commands import deploy, undeploy
from infra.deploy.common import Calls, DeployError, Stage, say
from infra.deploy.operations import logs, restore_drill, status

COMMANDS = {
    "deploy": deploy,
    "undeploy": undeploy,
    "status": status,
    "logs": logs,
    "restore-drill": restore_drill,
}


def parser() -> argparse.ArgumentParser:
    """The options; the deploy's optional values also come from the environment."""
    parser = argparse.ArgumentParser(
        description="Deploy a Book Library stage to AWS, and look after it."
    )
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; 1 with a message on stderr when it is refused."""
    args = parser().parse_args(argv)
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
        calls_made = [f"{s}:{op}" for s, op in calls.made]
        report = {"seconds": seconds, "calls": calls_made, "changes": calls.changes()}
        args.report.write_text(json.dumps({**result, **report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
