"""proc.run: every child bounded in time and memory, the bound it met named."""
import sys

import pytest

from fks_gitops import proc

ALLOCATE = "import sys; b = bytearray(int(sys.argv[1]) << 20); print(len(b))"


def test_a_child_past_its_memory_limit_names_the_limit():
    with pytest.raises(proc.LimitExceeded, match=r"memory limit of 64 MiB \(RLIMIT_DATA\)") as err:
        proc.run([sys.executable, "-c", ALLOCATE, "512"], memory=64 << 20, check=False)
    assert err.value.limit == "memory limit of 64 MiB (RLIMIT_DATA)"


def test_a_child_within_its_memory_limit_runs():
    assert proc.run([sys.executable, "-c", ALLOCATE, "16"], memory=256 << 20).stdout.strip() == str(16 << 20)


def test_a_child_past_its_time_limit_names_the_limit():
    with pytest.raises(proc.LimitExceeded, match=r"time limit of 0.5 s"):
        proc.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)


def test_a_failure_that_is_not_memory_stays_a_command_error():
    with pytest.raises(proc.CommandError, match="exited with 3"):
        proc.run([sys.executable, "-c", "import sys; sys.exit(3)"])
