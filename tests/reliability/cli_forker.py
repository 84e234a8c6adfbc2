"""Run the real CLI many times without paying Python's start-up each time.

This process imports ``csmetrics.cli.app`` once, then for each JSON list of arguments
read from stdin forks a child that runs the console script's entry point (``run``)
with those arguments, exactly as ``csmetrics ARGS`` would, and reports the child's
pid and then its exit code (negative: the signal that ended it) as JSON lines.
A kill test can then SIGKILL the child at any moment of its work.
"""

from __future__ import annotations

import json
import os
import sys

from csmetrics.cli.app import run


def main() -> None:
    for line in sys.stdin:
        argv = json.loads(line)
        pid = os.fork()
        if pid == 0:
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            sys.argv = ["csmetrics", *argv]
            run()  # leaves through os._exit
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
