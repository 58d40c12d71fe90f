"""Seed 001's lists.py (free-list torture), for Python 3, with marks.

500 rounds each build a list of i strings and extend `big` with them; after
`del big` the memory stays resident under glibc.
"""
from talk_helpers import alloc, report, scaled

big = []
for i in range(scaled(500)):
    strings = alloc(i)
    big.extend(strings)
report("After work")
del big
report("After del")
