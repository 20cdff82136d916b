"""Helpers shared by the benchmark scripts in this folder (they import it by name: Python puts
a script's own folder first on sys.path, whatever the working directory)."""
import statistics, subprocess, sys, time


def median_run(cmd, runs, cwd=None):
    """Run `cmd` `runs` times in `cwd`, output captured, and return the median wall time in
    seconds and the list of times. A failed run exits, naming the command and its stderr."""
    t = []
    for _ in range(runs):
        start = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, cwd=cwd)
        t.append(time.perf_counter() - start)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-2000:]}")
    return statistics.median(t), t
