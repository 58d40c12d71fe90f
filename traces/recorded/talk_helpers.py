"""What frag.py and lists.py share: the talk's alloc() and report(), plus a
heapreplay mark at every report point.

The 2014 talk (seed 001) shows only how alloc() is used; the heap it reports
(100000 str of about 5 KB for alloc(100000)) fits the definition below. Marks go
through heapreplay_mark, which the recorder shim exports when the program runs
under `heapreplay record`; otherwise report() only prints.
"""
import ctypes
import os

try:
    _mark = ctypes.CDLL(None).heapreplay_mark
    _mark.argtypes = [ctypes.c_char_p]
    _mark.restype = None
except AttributeError:  # not running under heapreplay record
    _mark = None

# HEAPREPLAY_SCALE shrinks the programs (0.1 = a tenth of the strings) for quick runs.
SCALE = float(os.environ.get("HEAPREPLAY_SCALE", "1"))


def scaled(n):
    return max(1, int(n * SCALE))


def alloc(n):
    # ' ' * 5000 is longer than the compiler folds (4096), so each is a new str.
    return [" " * 5000 for _ in range(n)]


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def report(label):
    if _mark is not None:
        _mark(label.encode())
    print(f"{label}: {rss_kb()} kB used", flush=True)
