"""Deploy a Book Library stage to AWS, and look after it (the code: infra/deploy/).

make deploy ENV=dev          python scripts/deploy.py deploy --env dev
make status ENV=dev          python scripts/deploy.py status --env dev
make logs ENV=dev            python scripts/deploy.py logs --env dev
make restore-drill ENV=dev   python scripts/deploy.py restore-drill --env dev
make undeploy ENV=dev        python scripts/deploy.py undeploy --env dev
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.deploy.cli import main

if __name__ == "__main__":
    sys.exit(main())
