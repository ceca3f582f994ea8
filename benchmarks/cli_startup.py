"""Start-up cost of the `xiaoer` command: CPU time (user + system) of `xiaoer --help` and
`xiaoer shell --help` against `python -c pass` (the interpreter's own start-up) in the same run.

    python -m benchmarks.cli_startup [--runs 10]

Each command runs --runs times, interleaved with the baseline so that load from other work on
the machine falls on all of them alike. CPU time, not wall time, is what the goal is about
(issue 16: `xiaoer --help` ≤ 0.3 s of CPU); it is read from the finished child's rusage.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

PYTHON = sys.executable
XIAOER = str(Path(sys.executable).parent / "xiaoer")
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "xiaoer --help": [XIAOER, "--help"],
    "xiaoer shell --help": [XIAOER, "shell", "--help"],
}
GOAL_SECONDS = 0.3


def cpu_seconds(argv: list[str]) -> float:
    """The CPU time one run of argv took, its children included."""
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    env_free = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_")}
    os.environ.clear()
    os.environ.update(env_free)

    for argv in COMMANDS.values():  # warm the file cache and the bytecode once, unmeasured
        cpu_seconds(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(cpu_seconds(argv))

    baseline = statistics.median(times["python -c pass"])
    print(f"{args.runs} runs each, interleaved; CPU time (user + system) in seconds")
    print(f"{'command':<22}{'p50':>8}{'p90':>8}{'min':>8}{'max':>8}{'p50 ratio':>11}")
    for name, values in times.items():
        p50 = statistics.median(values)
        print(
            f"{name:<22}{p50:8.3f}{percentile(values, 0.9):8.3f}{min(values):8.3f}{max(values):8.3f}"
            f"{p50 / baseline:11.1f}"
        )
    help_p90 = percentile(times["xiaoer --help"], 0.9)
    verdict = "met" if help_p90 <= GOAL_SECONDS else "NOT met"
    print(f"goal: xiaoer --help ≤ {GOAL_SECONDS} s CPU (p90 {help_p90:.3f} s): {verdict}")
    print(f"load average when done: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
