"""Benchmark: the Lambda package's size and cold start on this machine.

    make package && .venv/bin/python bench/lambda_cold_start.py [--runs 5]

Unzips dist/booklibrary-dev.zip once and starts it cold several times, each in
a new isolated interpreter (``python -I -S``: the package and the standard
library only) with an empty /tmp, as a new Lambda container would: the first
``/health`` event pays for the imports and the framework database build.
Lambda's own cold start adds the download and unzip of the package and runs
on whatever CPU share the memory size buys; this measures the app's part.
"""

import argparse
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_package import PACKAGE, cold_start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not PACKAGE.exists():
        print(f"{PACKAGE} is absent: run `make package` first.")
        return 1
    unzipped_bytes = 0
    with tempfile.TemporaryDirectory(prefix="booklibrary-cold-") as folder:
        task = Path(folder) / "task"
        with zipfile.ZipFile(PACKAGE) as package:
            package.extractall(task)
            unzipped_bytes = sum(info.file_size for info in package.infolist())
        runs = []
        for n in range(args.runs):
            scratch = Path(folder) / f"run{n}"
            scratch.mkdir()
            runs.append(cold_start(task, scratch))
    print(f"package: {PACKAGE.stat().st_size / 2**20:.1f} MiB zipped")
    print(f"         {unzipped_bytes / 2**20:.1f} MiB unzipped (Lambda allows 250)")
    for name, label in [
        ("wall_s", "process start to exit"),
        ("import_s", "imports (handler, Django, boto3)"),
        ("cold_s", "imports + first /health"),
        ("warm_s", "a warm /health"),
    ]:
        values = [run[name] * 1000 for run in runs]
        print(
            f"{label:34} median {statistics.median(values):7.1f} ms"
            f"  (min {min(values):.1f}, max {max(values):.1f}, {len(values)} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
