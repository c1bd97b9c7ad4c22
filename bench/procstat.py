"""CPU seconds of a process tree from /proc: a figure that the machine's other load disturbs less.

Wall times on a shared 2-core box stretch with everyone else's work; the CPU a process tree
burns does not (much). Linux only; elsewhere every figure reads 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; everything after its ')' splits cleanly.
    return text[text.rindex(")") + 2 :].split()


@dataclass(frozen=True, slots=True)
class TreeCpu:
    own: float  # seconds in the live processes of the tree
    reaped: float  # seconds in children already waited for (e.g. forked chmod processes)

    @property
    def total(self) -> float:
        return self.own + self.reaped

    def __sub__(self, other: TreeCpu) -> TreeCpu:
        return TreeCpu(self.own - other.own, self.reaped - other.reaped)


def tree_cpu(root: int) -> TreeCpu:
    """User + system CPU of `root` and its live descendants, plus what they reaped."""
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
                stats[int(entry.name)] = fields
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    own = reaped = 0
    for pid in tree:
        fields = stats.get(pid)
        if fields is None:
            continue
        # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        own += int(fields[11]) + int(fields[12])
        reaped += int(fields[13]) + int(fields[14])
    return TreeCpu(own / _TICK, reaped / _TICK)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MiB; 0 where /proc has no such line."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
