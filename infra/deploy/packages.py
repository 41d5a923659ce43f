"""The stage's Zappa settings and its two Lambda packages."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.deploy.common import ROOT, ZAPPA_SETTINGS, DeployError, Stage, say

BASE_PACKAGE = ROOT / "dist" / "booklibrary-dev.zip"


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
    text = json.dumps(stage_settings(stage), indent=2) + "\n"
    packages = {f: stage.work / f"{f}.zip" for f in (stage.web, stage.worker)}
    if settings_file.exists() and settings_file.read_text() == text:
        made = settings_file.stat().st_mtime
        newer = max(made, BASE_PACKAGE.stat().st_mtime)
        if all(is_whole(p) and p.stat().st_mtime > newer for p in packages.values()):
            say("== package: the stage's packages are up to date")
            return packages
    else:
        settings_file.write_text(text)
    folder = Path(tempfile.mkdtemp(prefix="zappa-settings-", dir=stage.work))
    pairs = [
        (stage.web, stage.web_stage, folder / "web" / "zappa_settings.py"),
        (stage.worker, stage.worker_stage, folder / "worker" / "zappa_settings.py"),
    ]
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
            stage_package(packages[function], python_settings)
    finally:
        shutil.rmtree(folder)
    say(f"== package: {', '.join(str(p.relative_to(ROOT)) for p in packages.values())}")
    return packages


def is_whole(package: Path) -> bool:
    """Whether a stage package is whole: a stopped run may leave a broken one."""
    try:
        with zipfile.ZipFile(package) as archive:
            return "zappa_settings.py" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def stage_package(package: Path, python_settings: Path) -> None:
    """The base package with the stage's zappa_settings.py, unless already made."""
    python_settings.chmod(0o644)  # what Lambda needs (and Zappa sets)
    if package.exists() and package.stat().st_mtime > BASE_PACKAGE.stat().st_mtime:
        try:
            with zipfile.ZipFile(package) as archive:
                if archive.read("zappa_settings.py") == python_settings.read_bytes():
                    return
        except (KeyError, zipfile.BadZipFile):
            pass  # a run stopped while making it: make it again
    shutil.copyfile(BASE_PACKAGE, package)
    # Swap the stage's settings in; all else is the same for every stage.
    subprocess.run(["zip", "-q", "-d", str(package), "zappa_settings.py"], check=True)
    subprocess.run(["zip", "-q", "-j", str(package), str(python_settings)], check=True)


def package_digest(package: Path) -> str:
    """A digest of a package's contents (names, sizes, CRCs), not of its timestamps."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(package) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            digest.update(f"{info.filename}\0{info.file_size}\0{info.CRC}\n".encode())
    return digest.hexdigest()[:20]
