# Book Library: `make run` starts the app, `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev test pytest lint format check-migrations migrate venv package clean \
	deploy undeploy status logs restore-drill

$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || { PY312=$$(scripts/find-python) && $$PY312 -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.dev

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput

## run: the app on http://$(HOST):$(PORT) with a background worker, embedded defaults
run: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	HOST=$(HOST) PORT=$(PORT) VENV=$(VENV) scripts/run-local

## dev: Django's development server with DEBUG on (not for serving a library)
dev: migrate
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

## test: lint, migration check and the whole test suite (browser tests included)
test: $(VENV)/.dev lint check-migrations
	scripts/system-deps
	$(PY) -m pytest

pytest: $(VENV)/.dev
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/djlint templates --check

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djlint templates --reformat

check-migrations: $(VENV)/.dev
	DJANGO_SETTINGS_MODULE=booklibrary.settings.test $(PY) manage.py makemigrations --check --dry-run

## package: the AWS Lambda zip, dist/booklibrary-dev.zip, built offline
package:
	scripts/package dev

## deploy: the stage ENV (default dev) to AWS: stack, secret, functions, API, smoke checks
##         (AWS credentials, AWS_REGION; ALARM_EMAIL, MONTHLY_BUDGET_USD, TABLE_SUFFIX optional)
ENV ?= dev
# Given on the command line or in the environment, these reach the script (an
# empty TABLE_SUFFIX points the stage back at its own tables); else kept.
given = $(filter command line environment,$(origin $(1)))
DEPLOY_OPTIONS = $(if $(call given,ALARM_EMAIL),--alarm-email='$(ALARM_EMAIL)') \
	$(if $(call given,MONTHLY_BUDGET_USD),--monthly-budget='$(MONTHLY_BUDGET_USD)') \
	$(if $(call given,TABLE_SUFFIX),--table-suffix='$(TABLE_SUFFIX)')
deploy: $(VENV)/.dev
	scripts/system-deps
	$(PY) scripts/deploy.py deploy --env $(ENV) $(DEPLOY_OPTIONS)

## undeploy: remove the stage's functions, API and stack; keeps its tables and media bucket
##           (asks for the stage's name; YES=1 does not ask)
undeploy: $(VENV)/.dev
	$(PY) scripts/deploy.py undeploy --env $(ENV) $(if $(YES),--yes)

## status: the stage's stack, functions, tables, queue and dead-letter depth, alarms
status: $(VENV)/.dev
	$(PY) scripts/deploy.py status --env $(ENV)

## logs: the stage's function logs of the last 10 minutes
logs: $(VENV)/.dev
	$(PY) scripts/deploy.py logs --env $(ENV)

## restore-drill: restore the stage's tables to a point in time into new tables, and check them
restore-drill: $(VENV)/.dev
	$(PY) scripts/deploy.py restore-drill --env $(ENV) $(if $(KEEP),--keep)

clean:
	rm -rf $(VENV) .venv-lambda dist staticfiles .pytest_cache .ruff_cache
