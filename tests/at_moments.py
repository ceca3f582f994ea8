"""Run tests as if the wall clock read an adversarial moment (libfaketime), one run per moment:

    python -m tests.at_moments                      # the tests that read the wall clock, every moment
    python -m tests.at_moments --moment "2026-12-08 11:59:30" tests/e2e/test_sweep.py

Moments are office time (Asia/Shanghai); the clock starts there and runs on. Needs libfaketime
(Debian: `apt-get install faketime`). Not part of CI's run (a run per moment takes minutes);
tests/unit/test_adversarial_clocks.py runs the same scenarios at the same moments in CI through
the injectable clock.

How it fakes: FAKETIME is an offset ("+N" seconds) from the real clock, so the `xiaoer`
subprocesses the tests start (they inherit LD_PRELOAD and FAKETIME) read the same time as the
test. The monotonic clock is faked by the same constant offset, which asyncio does not mind: with
FAKETIME_DONT_FAKE_MONOTONIC=1, Python 3.11's time.sleep fails with EINVAL (libfaketime issue
426: clock_nanosleep with TIMER_ABSTIME). PostgreSQL's now() is not faked; Xiaoer does not use
it (every moment comes from deps.clock), so that is no limit here.

Use the multi-threaded library (libfaketimeMT, as here; `faketime -m` on the command line).
Plain `faketime` preloads the single-threaded libfaketime.so.1, which is not safe in threaded
processes (Chromium, Playwright's driver, asyncio's executor threads): run with it, the browser
tests' 63-second session took 18 minutes of wall time here (once, on a loaded machine), which
looks like the web console tests "hanging". With libfaketimeMT, tests/webconsole passed at
2026-12-08 11:59:30, 2026-10-10 10:00 (a moment in the past), 2026-12-13 23:59:50 and
2027-04-30 23:59:50 in 1.5 to 3 minutes each.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.unit.test_adversarial_clocks import MOMENTS

LIBRARY = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
# the tests that read the wall clock (they start `xiaoer` processes or run the runtime on it)
WALL_CLOCK_TESTS = (
    "tests/e2e/test_sweep.py",
    "tests/e2e/test_sweep_killed.py",
    "tests/e2e/test_scheduled_sweep_killed.py",
    "tests/e2e/test_campaign_cli.py",
    "tests/e2e/test_campaign_300.py",
    "tests/e2e/test_report_cli.py",
    "tests/channels/test_delivery_faults.py",
    "tests/channels/test_policies_telegram.py",
    "tests/channels/test_bulletin_telegram.py",
    "tests/channels/test_wecom_mobile_binding.py",
    "tests/api/test_overdue_webhook.py",
)


def faked_environment(moment: datetime) -> dict[str, str]:
    offset = round(moment.timestamp() - time.time())
    env = dict(os.environ, LD_PRELOAD=str(LIBRARY), FAKETIME=f"{offset:+d}")
    env.pop("FAKETIME_DONT_FAKE_MONOTONIC", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--moment", action="append", help="YYYY-MM-DD HH:MM[:SS], office time; repeatable")
    parser.add_argument("tests", nargs="*", default=list(WALL_CLOCK_TESTS))
    args = parser.parse_args()
    if not LIBRARY.exists():
        print(f"{LIBRARY} is missing: apt-get install faketime", file=sys.stderr)
        return 2
    zone = ZoneInfo("Asia/Shanghai")
    moments = (
        {text: datetime.fromisoformat(text).replace(tzinfo=zone) for text in args.moment}
        if args.moment
        else MOMENTS
    )
    failed = []
    for name, moment in moments.items():
        print(f"== {name}: {moment.isoformat()}", flush=True)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.tests]
        if subprocess.run(command, env=faked_environment(moment), check=False).returncode != 0:
            failed.append(name)
    print("failed at: " + ", ".join(failed) if failed else "passed at every moment")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
