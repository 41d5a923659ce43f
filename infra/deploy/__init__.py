"""Deploy a Book Library stage to AWS in one command, and look after it.

scripts/deploy.py runs it (`make deploy`, `status`, `logs`, `restore-drill`,
`undeploy`); the modules follow the steps below: common (names, clients, the
call count), stack (1, 2, 6), packages (3), functions (4), wiring (5), smoke
(7), commands (deploy, undeploy), operations (status, logs, restore-drill), cli.

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
