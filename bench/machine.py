"""What the benchmark ran on: figures mean little without the machine beside them."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1]
    except OSError:
        pass
    return ""


def describe() -> dict[str, str]:
    mem_kb = _first("/proc/meminfo", "MemTotal").split()
    ram = f"{int(mem_kb[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown"
    os_name = _first("/etc/os-release", "PRETTY_NAME=").strip('"') or platform.system()
    return {
        "CPU": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "Cores": str(
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "RAM": ram,
        "OS": f"{os_name} (kernel {platform.release()})",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }
