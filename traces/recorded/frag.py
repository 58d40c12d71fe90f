"""Seed 001's frag.py (big/small interleaving), for Python 3, with marks.

glibc keeps the freed strings resident after `del big` because `small` sits
above them at the top of the heap; with jemalloc preloaded RSS drops.
"""
import gc

from talk_helpers import alloc, report, scaled

big = alloc(scaled(100000))
report("After alloc")
small = alloc(1)
del big
report("After del")
gc.collect(2)
report("After gc")
