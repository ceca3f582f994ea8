"""Start-up cost of the `xiaoer` command: CPU time (user + system) of `xiaoer --help` and
`xiaoer shell --help` against `python -c pass` (the interpreter's own start-up) in the same run;
and the time to the first answer of `xiaoer shell` on a cold NLU model cache (the model trained
first) against a warm one.

    python -m benchmarks.cli_startup [--runs 10] [--answers 3]

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
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
XIAOER = str(Path(sys.executable).parent / "xiaoer")
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "xiaoer --help": [XIAOER, "--help"],
    "xiaoer shell --help": [XIAOER, "shell", "--help"],
}
GOAL_SECONDS = 0.3
ROOT = Path(__file__).resolve().parent.parent
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"


def cpu_seconds(argv: list[str]) -> float:
    """The CPU time one run of argv took, its children included."""
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def first_answer(cache: Path, workdir: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `xiaoer shell` answering one demand: start-up, the model (trained
    when the cache is cold), the answer, exit."""
    database = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    (workdir / "bench.db").unlink(missing_ok=True)
    env = {**os.environ, "XIAOER_NLU_CACHE": str(cache), "XIAOER_CONFIG": str(ROOT / "config.yaml")}
    start = time.perf_counter()
    child = subprocess.Popen(
        [XIAOER, "shell", "--database", database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
        env=env,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(f"{DEMAND}\n".encode())
    child.stdin.close()
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or "工单号".encode() not in out:
        raise SystemExit(f"xiaoer shell did not answer (exit {child.returncode})")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def answers(runs: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        cold, warm = [], []
        for run in range(runs):
            cache = workdir / f"cache-{run}"  # empty: the model is trained
            cold.append(first_answer(cache, workdir))
            warm.append(first_answer(cache, workdir))  # the model just trained is loaded
    print(f"\nfirst answer of `xiaoer shell` (one demand piped in), {runs} runs each; seconds")
    print(f"{'model cache':<22}{'wall p50':>10}{'wall max':>10}{'cpu p50':>10}{'cpu max':>10}")
    for name, values in (("warm", warm), ("cold (trains)", cold)):
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(
            f"{name:<22}{statistics.median(walls):10.2f}{max(walls):10.2f}"
            f"{statistics.median(cpus):10.2f}{max(cpus):10.2f}"
        )
    ratio = statistics.median([w for w, _ in cold]) / statistics.median([w for w, _ in warm])
    print(f"cold / warm, wall p50: {ratio:.1f}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--answers", type=int, default=3, help="first-answer runs per cache state (0: none)")
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
    if args.answers:
        answers(args.answers)
    print(f"load average when done: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
