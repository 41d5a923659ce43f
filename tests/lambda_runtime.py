"""A stand-in for the Lambda runtime: one function process fed events on stdin.

Run as ``python tests/lambda_runtime.py`` in a folder holding the
``zappa_settings.py`` that ``zappa package`` would generate for the stage. Each
line read is a JSON object ``{"event": ...}``; each answer is written as one
line starting with ``ANSWER_PREFIX`` (anything else on stdout is the function's
own printing, as in CloudWatch), holding ``{"response": ...}`` or
``{"error": ...}`` when the handler raised, which Lambda would report as a
failed invocation.

The process lives across events, like a warm Lambda container: the first event
is the cold start.
"""

import json
import sys
import time
import traceback
from pathlib import Path

ANSWER_PREFIX = "@@lambda-answer "
ROOT = Path(__file__).resolve().parent.parent


class Context:
    """The few attributes of Lambda's context object that code may read."""

    function_name = "booklibrary-test"
    aws_request_id = "test-request"
    memory_limit_in_mb = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    sys.path[:0] = [str(Path.cwd()), str(ROOT)]
    from booklibrary.lambda_handler import lambda_handler

    for line in sys.stdin:
        if not line.strip():
            continue
        event = json.loads(line)["event"]
        started = time.perf_counter()
        try:
            answer = {"response": lambda_handler(event, Context())}
        except Exception as exc:  # Lambda reports it; the container lives on
            answer = {"error": repr(exc), "traceback": traceback.format_exc()}
        answer["seconds"] = time.perf_counter() - started
        sys.stdout.write(ANSWER_PREFIX + json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
