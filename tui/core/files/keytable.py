"""A compact "first record with this key" table for whole-file cross-record checks.

The validator remembers, for each 001 and each duplicate key (ISBN, ISSN, 024, title + year),
the first record that had it (STRUCT-DUPLICATE-001, DUP-REPORT). A Python dict of the keys
themselves costs some 200-300 bytes an entry: 700 MB for a million records. ``FirstSeen`` keeps
only each key's 64-bit ``hash()`` and the record number, in two flat arrays (open addressing,
linear probing): about 20 bytes an entry, so memory stays small and grows by the records, not by
the keys' text. What a duplicate finding quotes of the first record (its 001) is looked up when a
duplicate is found (``control_number(number)``), which is rare.

Two different keys with the same 64-bit hash would be taken for one: with a million records the
chance is about one in ten million million.

``FirstSeen`` answers as the dicts it stands in for do: ``get(key)`` and ``table[key] = value``,
where a value is a record number, or ``(number, control_number)`` (the second part then comes
from ``control_number``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable

_EMPTY = -(1 << 63)


class FirstSeen:
    def __init__(self, control_number: Callable[[int], str | None] | None = None, pairs: bool = False):
        self._cn = control_number
        self._pairs = pairs  # values are (number, control number) rather than numbers
        self._size = 1 << 12
        self._keys = array("q", [_EMPTY]) * self._size
        self._vals = array("i", [0]) * self._size
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @staticmethod
    def _h(key: Hashable) -> int:
        h = hash(key)
        return h + 1 if h == _EMPTY else h

    def _slot(self, h: int) -> int:
        mask = self._size - 1
        i = (h ^ (h >> 29)) & mask
        keys = self._keys
        while True:
            k = keys[i]
            if k == h or k == _EMPTY:
                return i
            i = (i + 1) & mask

    def get(self, key: Hashable, default=None):
        i = self._slot(self._h(key))
        if self._keys[i] == _EMPTY:
            return default
        number = self._vals[i]
        if not self._pairs:
            return number
        return (number, self._cn(number) if self._cn is not None else None)

    def __contains__(self, key: Hashable) -> bool:
        return self._keys[self._slot(self._h(key))] != _EMPTY

    def __setitem__(self, key: Hashable, value) -> None:
        number = value[0] if self._pairs else value
        h = self._h(key)
        i = self._slot(h)
        if self._keys[i] == _EMPTY:
            self._n += 1
            self._keys[i] = h
            self._vals[i] = number
            if self._n * 3 > self._size * 2:
                self._grow()
        else:
            self._vals[i] = number

    def _grow(self) -> None:
        old_keys, old_vals = self._keys, self._vals
        self._size *= 2
        self._keys = array("q", [_EMPTY]) * self._size
        self._vals = array("i", [0]) * self._size
        for k, v in zip(old_keys, old_vals):
            if k != _EMPTY:
                i = self._slot(k)
                self._keys[i] = k
                self._vals[i] = v


__all__ = ["FirstSeen"]
