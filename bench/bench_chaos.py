"""Chaos benchmark at full size: 10,000 sealed records from 20 devices through a proxy cutting ~24% of
connections (half before the server commits, half after), on PostgreSQL. Prints lost/duplicated counts.

    .venv/bin/python bench/bench_chaos.py [--records 10000]
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--records", type=int, default=10000)
args = parser.parse_args()
env = {**os.environ, "FIELDAPP_CHAOS_RECORDS": str(args.records)}
sys.exit(
    subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:logging",
            "-p",
            "no:cacheprovider",
            "tests/sync/test_chaos.py",
        ],
        cwd=root,
        env=env,
    )
)
