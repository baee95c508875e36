"""The merchants, devices and P2P payees of ``OnlineFeatures`` in preallocated NumPy arrays that
the one Numba call per transaction (``online_kernel.online_txn``) reads and updates itself, so a
transaction costs no Python-level entity bookkeeping.

Every entity of every kind has a row of ``slots`` (``S_*``): its state as the batch pass's entity
kernel reads it (``kernels.M_*``, the row's first ``M_SIZE`` values), its kind and id, its links
in its kind's ``active`` list (last seen last) or ``idle`` list (compacted, oldest first), and
where its window (``pool`` times and customers, ``amounts``) and its confirmed-fraud times
(``labels``) sit. ``index`` finds an entity's row from its (kind, id) by open addressing.
``hdr`` (``H_*``) holds each kind's list ends, counts and cap, the free rows, the pools' tops and
the stream time. Windows and label lists are regions of their pools, replaced by one twice the
size when full; freed regions are garbage until a pool is compacted.

The kernels never allocate: a call first works out the rows, index room and pool cells it may
need (``needs``) and, when one is short, returns -1 having changed nothing, with the need in
``hdr``; ``EntityStore.grow`` (Python) then makes the room and the call is made again.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.features import _jit  # noqa: F401 - fresh kernel caches
from fraudforge.features.kernels import (
    M_DISTINCT,
    M_HEAD,
    M_KNOWN,
    M_LAST,
    M_N,
    M_SIZE,
    M_TOTAL,
    NEVER,
    W7D,
    W24H,
    entity_label,
    entity_unlabel,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

N_KINDS = 3
"""Merchants, devices and payees (``online_kernel.K_*``)."""
# A kind's fields of ``hdr`` (at ``kind * KF``).
H_ACT_HEAD, H_ACT_TAIL, H_IDLE_HEAD, H_IDLE_TAIL, H_N_ACT, H_N_IDLE, H_FORGOT, H_CAP, H_SPAN = (
    range(9)
)
KF = 9
# Fields of ``hdr`` shared by every kind.
_G = N_KINDS * KF
H_FREE = _G  # first free row of ``slots`` (-1: none)
H_N_FREE = _G + 1
H_TOP = _G + 2  # cells of ``pool`` handed out (the next region starts there)
H_GARBAGE = _G + 3  # of which freed
H_LTOP = _G + 4  # the same for ``labels``
H_LGARBAGE = _G + 5
H_USED = _G + 6  # ``index`` entries in use or deleted
H_LIVE = _G + 7  # ``index`` entries in use (entities held)
H_NOW = _G + 8  # the newest transaction time processed
H_NEXT_COMPACT = _G + 9  # stream time of the next compaction
H_NEED_SLOTS = _G + 10  # what the last refused call needed
H_NEED_POOL = _G + 11
H_NEED_LABELS = _G + 12
H_SIZE = _G + 13

# Fields of a row of ``slots`` after the entity kernel's ``M_*``.
S_KIND = M_SIZE
S_ID = M_SIZE + 1
S_PREV = M_SIZE + 2
S_NEXT = M_SIZE + 3  # in a list, or the next free row
S_WOFF = M_SIZE + 4  # the window's region of ``pool`` and ``amounts``
S_WCAP = M_SIZE + 5
S_KOFF = M_SIZE + 6  # the labels' region of ``labels``
S_KCAP = M_SIZE + 7
S_WHERE = M_SIZE + 8  # FREE, ACTIVE or IDLE
S_HPOS = M_SIZE + 9  # its entry in ``index``
SF = M_SIZE + 10
FREE, ACTIVE, IDLE = range(3)

EMPTY, DELETED = -1, -2
"""``index[1]`` of an entry never used and of one whose entity was forgotten."""
ROOM = 4
"""A new window's or label list's capacity."""
COMPACT_EVERY_US = 60_000_000
"""Stream time between two compactions of idle entities (any period is exact)."""
_MIX = -7046029254386353131  # 0x9E3779B97F4A7C15 as a signed 64-bit int


@nb.njit(cache=True, inline="always")
def _home(kind: int, eid: int, mask: int) -> int:
    """The first place of (kind, eid) in ``index``."""
    h = (eid + kind) * _MIX
    return int((h ^ (h >> 29)) & mask)


@nb.njit(cache=True)
def find(hdr: I64, slots: I64, index: I64, kind: int, eid: int) -> int:
    """The row of entity ``eid`` of ``kind``, or -1 when none is held."""
    mask = index.shape[1] - 1
    i = _home(kind, eid, mask)
    while True:
        s = index[1, i]
        if s == EMPTY:
            return -1
        if s >= 0 and index[0, i] == eid and slots[s, S_KIND] == kind:
            return int(s)
        i = (i + 1) & mask


@nb.njit(cache=True)
def _index_put(hdr: I64, slots: I64, index: I64, s: int) -> None:
    """Enter row ``s`` (an entity not in ``index``) into ``index``."""
    mask = index.shape[1] - 1
    i = _home(slots[s, S_KIND], slots[s, S_ID], mask)
    while index[1, i] >= 0:
        i = (i + 1) & mask
    if index[1, i] == EMPTY:
        hdr[H_USED] += 1
    index[0, i] = slots[s, S_ID]
    index[1, i] = s
    slots[s, S_HPOS] = i
    hdr[H_LIVE] += 1


@nb.njit(cache=True)
def _unlink(hdr: I64, slots: I64, s: int) -> None:
    """Take row ``s`` out of its list."""
    base = slots[s, S_KIND] * KF + (H_ACT_HEAD if slots[s, S_WHERE] == ACTIVE else H_IDLE_HEAD)
    prev, nxt = slots[s, S_PREV], slots[s, S_NEXT]
    if prev >= 0:
        slots[prev, S_NEXT] = nxt
    else:
        hdr[base] = nxt
    if nxt >= 0:
        slots[nxt, S_PREV] = prev
    else:
        hdr[base + 1] = prev
    if slots[s, S_WHERE] == ACTIVE:
        hdr[slots[s, S_KIND] * KF + H_N_ACT] -= 1
    else:
        hdr[slots[s, S_KIND] * KF + H_N_IDLE] -= 1


@nb.njit(cache=True)
def _append(hdr: I64, slots: I64, s: int, where: int) -> None:
    """Put row ``s`` at the end of its kind's ``where`` list (ACTIVE or IDLE)."""
    kind = slots[s, S_KIND]
    base = kind * KF + (H_ACT_HEAD if where == ACTIVE else H_IDLE_HEAD)
    tail = hdr[base + 1]
    slots[s, S_PREV] = tail
    slots[s, S_NEXT] = -1
    if tail >= 0:
        slots[tail, S_NEXT] = s
    else:
        hdr[base] = s
    hdr[base + 1] = s
    slots[s, S_WHERE] = where
    hdr[kind * KF + (H_N_ACT if where == ACTIVE else H_N_IDLE)] += 1


@nb.njit(cache=True)
def _new(hdr: I64, slots: I64, index: I64, kind: int, eid: int, where: int) -> int:
    """A row for a new entity with no transaction, window or label, at the end of ``where``
    (a free row and room in ``index`` are the caller's job)."""
    s = hdr[H_FREE]
    hdr[H_FREE] = slots[s, S_NEXT]
    hdr[H_N_FREE] -= 1
    slots[s, :M_SIZE] = 0
    slots[s, M_LAST] = NEVER
    slots[s, S_KIND] = kind
    slots[s, S_ID] = eid
    slots[s, S_WOFF] = slots[s, S_WCAP] = slots[s, S_KOFF] = slots[s, S_KCAP] = 0
    _index_put(hdr, slots, index, s)
    _append(hdr, slots, s, where)
    return int(s)


@nb.njit(cache=True)
def _free_window(hdr: I64, slots: I64, s: int) -> None:
    """Give the window's region back (the window is empty or forgotten)."""
    hdr[H_GARBAGE] += slots[s, S_WCAP]
    slots[s, S_WOFF] = slots[s, S_WCAP] = 0
    slots[s, M_HEAD] = slots[s, M_N] = slots[s, M_DISTINCT] = 0


@nb.njit(cache=True)
def _free_labels(hdr: I64, slots: I64, s: int) -> None:
    """Give the label list's region back."""
    hdr[H_LGARBAGE] += slots[s, S_KCAP]
    slots[s, S_KOFF] = slots[s, S_KCAP] = 0


@nb.njit(cache=True)
def _drop(hdr: I64, slots: I64, index: I64, s: int) -> None:
    """Forget the entity of row ``s``: out of its list and ``index``, its regions and row
    freed."""
    _unlink(hdr, slots, s)
    _free_window(hdr, slots, s)
    _free_labels(hdr, slots, s)
    index[1, slots[s, S_HPOS]] = DELETED
    hdr[H_LIVE] -= 1
    slots[s, S_WHERE] = FREE
    slots[s, S_NEXT] = hdr[H_FREE]
    hdr[H_FREE] = s
    hdr[H_N_FREE] += 1


@nb.njit(cache=True)
def limit(hdr: I64, slots: I64, index: I64, kind: int) -> None:
    """Forget ``kind``'s oldest idle entities, then its oldest active ones, beyond its cap."""
    base = kind * KF
    cap = hdr[base + H_CAP]
    if cap < 0:
        return
    while hdr[base + H_N_ACT] + hdr[base + H_N_IDLE] > cap:
        if hdr[base + H_N_IDLE] > 0:
            _drop(hdr, slots, index, hdr[base + H_IDLE_HEAD])
        else:
            _drop(hdr, slots, index, hdr[base + H_ACT_HEAD])
        hdr[base + H_FORGOT] += 1


@nb.njit(cache=True)
def _move_window(hdr: I64, slots: I64, pool: I64, amounts: F64, s: int, cap: int) -> None:
    """Give row ``s``'s window a new region of ``cap`` cells (room is the caller's job), the
    window at its start, and free the old one."""
    off = hdr[H_TOP]
    hdr[H_TOP] += cap
    lo = slots[s, S_WOFF] + slots[s, M_HEAD]
    for q in range(slots[s, M_N]):
        pool[0, off + q] = pool[0, lo + q]
        pool[1, off + q] = pool[1, lo + q]
        amounts[off + q] = amounts[lo + q]
    hdr[H_GARBAGE] += slots[s, S_WCAP]
    slots[s, S_WOFF] = off
    slots[s, S_WCAP] = cap
    slots[s, M_HEAD] = 0


@nb.njit(cache=True)
def _move_labels(hdr: I64, slots: I64, labels: I64, s: int, cap: int) -> None:
    """Give row ``s``'s label list a new region of ``cap`` cells, and free the old one."""
    off = hdr[H_LTOP]
    hdr[H_LTOP] += cap
    lo = slots[s, S_KOFF]
    for q in range(slots[s, M_KNOWN]):
        labels[off + q] = labels[lo + q]
    hdr[H_LGARBAGE] += slots[s, S_KCAP]
    slots[s, S_KOFF] = off
    slots[s, S_KCAP] = cap


@nb.njit(cache=True)
def needs(hdr: I64, slots: I64, index: I64, kind: int, eid: int) -> tuple[int, int]:
    """(rows, pool cells) that ``touch`` of this entity may take."""
    s = find(hdr, slots, index, kind, eid)
    if s < 0:
        return 1, ROOM
    if slots[s, S_WHERE] != ACTIVE:
        return 0, ROOM
    n = slots[s, M_N]
    return 0, (2 * n if n == slots[s, S_WCAP] else 0)


@nb.njit(cache=True)
def short(hdr: I64, slots: I64, index: I64, pool: I64, labels: I64, rows: int, cells: int,
          label_cells: int) -> bool:  # fmt: skip
    """Whether ``rows`` new entities, ``cells`` of ``pool`` and ``label_cells`` of
    ``labels`` may not fit; if so, the needs are left in ``hdr`` for ``EntityStore.grow``."""
    if (
        hdr[H_N_FREE] >= rows
        and 2 * (hdr[H_USED] + rows) <= index.shape[1]
        and hdr[H_TOP] + cells <= pool.shape[1]
        and hdr[H_LTOP] + label_cells <= labels.shape[0]
    ):
        return False
    hdr[H_NEED_SLOTS] = rows
    hdr[H_NEED_POOL] = cells
    hdr[H_NEED_LABELS] = label_cells
    return True


@nb.njit(cache=True)
def touch(hdr: I64, slots: I64, index: I64, pool: I64, amounts: F64, kind: int, eid: int) -> int:
    """The row of the entity a transaction is at (created or revived), now its kind's most
    recently seen, with room in its window for one more transaction (the room ``needs``
    counted is the caller's job). Its kind's cap then applies."""
    s = find(hdr, slots, index, kind, eid)
    if s >= 0 and slots[s, S_WHERE] == ACTIVE:
        if slots[s, S_NEXT] >= 0:  # not the most recent yet
            _unlink(hdr, slots, s)
            _append(hdr, slots, s, ACTIVE)
        n = slots[s, M_N]
        if n == slots[s, S_WCAP]:
            _move_window(hdr, slots, pool, amounts, s, 2 * n)
        return s
    if s < 0:
        s = _new(hdr, slots, index, kind, eid, ACTIVE)
    else:
        _unlink(hdr, slots, s)
        _append(hdr, slots, s, ACTIVE)
    _move_window(hdr, slots, pool, amounts, s, ROOM)
    limit(hdr, slots, index, kind)
    return s


@nb.njit(cache=True)
def compact(hdr: I64, slots: I64, kind: int, now: int) -> None:
    """Compact ``kind``'s active entities last seen at or before ``now`` less its window, in
    the order seen (stopping at the first one seen later): each leaves its window and, without
    labels, everything but its count, and goes to the end of the idle ones."""
    base = kind * KF
    horizon = now - hdr[base + H_SPAN]
    s = hdr[base + H_ACT_HEAD]
    while s >= 0 and slots[s, M_LAST] <= horizon:
        nxt = slots[s, S_NEXT]
        _unlink(hdr, slots, s)
        _free_window(hdr, slots, s)
        if slots[s, M_KNOWN] == 0:
            _free_labels(hdr, slots, s)
            slots[s, M_LAST] = NEVER
        _append(hdr, slots, s, IDLE)
        s = nxt


@nb.njit(cache=True)
def label(
    hdr: I64, slots: I64, index: I64, pool: I64, labels: I64, kind: int, eid: int, when: int
) -> int:
    """A confirmed fraud at entity ``eid`` of ``kind``, counting from ``when``: an entity not
    held is made, with no transaction, at the end of the idle ones (then the cap applies; a
    label of one forgotten at once is lost). Returns -1 when room must grow first (nothing
    changed), else 0."""
    s = find(hdr, slots, index, kind, eid)
    if s < 0:
        if short(hdr, slots, index, pool, labels, 1, 0, ROOM):
            return -1
        s = _new(hdr, slots, index, kind, eid, IDLE)
        limit(hdr, slots, index, kind)
        if slots[s, S_WHERE] == FREE:
            return 0
    n = slots[s, M_KNOWN]
    if n == slots[s, S_KCAP]:
        cap = max(ROOM, 2 * n)
        if short(hdr, slots, index, pool, labels, 0, 0, cap):
            return -1
        _move_labels(hdr, slots, labels, s, cap)
    lo = slots[s, S_KOFF]
    entity_label(slots[s, :M_SIZE], labels[lo : lo + slots[s, S_KCAP]], when)
    return 0


@nb.njit(cache=True)
def unlabel(hdr: I64, slots: I64, index: I64, labels: I64, kind: int, eid: int, when: int) -> None:
    """Take back one confirmed fraud at entity ``eid`` of ``kind`` counting from ``when``
    (none if it has none or is not held)."""
    s = find(hdr, slots, index, kind, eid)
    if s >= 0:
        lo = slots[s, S_KOFF]
        entity_unlabel(slots[s, :M_SIZE], labels[lo : lo + slots[s, S_KCAP]], when)


@nb.njit(cache=True)
def save(
    hdr: I64, slots: I64, pool: I64, amounts: F64, labels: I64, kind: int
) -> tuple[I64, I64, I64, I64, I64, F64, I64, I64]:
    """``kind``'s entities, idle ones first, each list oldest first: ids, counts, window
    offsets, the windows' times, customers and amounts (oldest first), label offsets and
    labels (ascending)."""
    base = kind * KF
    n = hdr[base + H_N_ACT] + hdr[base + H_N_IDLE]
    ids = np.empty(n, dtype=np.int64)
    totals = np.empty(n, dtype=np.int64)
    w_off = np.zeros(n + 1, dtype=np.int64)
    k_off = np.zeros(n + 1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    i = 0
    for head in (hdr[base + H_IDLE_HEAD], hdr[base + H_ACT_HEAD]):
        s = head
        while s >= 0:
            order[i] = s
            ids[i] = slots[s, S_ID]
            totals[i] = slots[s, M_TOTAL]
            w_off[i + 1] = w_off[i] + slots[s, M_N]
            k_off[i + 1] = k_off[i] + slots[s, M_KNOWN]
            i += 1
            s = slots[s, S_NEXT]
    times = np.empty(w_off[n], dtype=np.int64)
    custs = np.empty(w_off[n], dtype=np.int64)
    amts = np.empty(w_off[n], dtype=np.float64)
    known = np.empty(k_off[n], dtype=np.int64)
    for i in range(n):
        s = order[i]
        lo = slots[s, S_WOFF] + slots[s, M_HEAD]
        for q in range(w_off[i + 1] - w_off[i]):
            times[w_off[i] + q] = pool[0, lo + q]
            c = pool[1, lo + q]
            custs[w_off[i] + q] = c if c >= 0 else -1 - c
            amts[w_off[i] + q] = amounts[lo + q]
        for q in range(k_off[i + 1] - k_off[i]):
            known[k_off[i] + q] = labels[slots[s, S_KOFF] + q]
    return ids, totals, w_off, times, custs, amts, k_off, known


@nb.njit(cache=True)
def load(
    hdr: I64,
    slots: I64,
    index: I64,
    pool: I64,
    amounts: F64,
    labels: I64,
    kind: int,
    ids: I64,
    totals: I64,
    w_off: I64,
    times: I64,
    custs: I64,
    amts: F64,
    k_off: I64,
    known: I64,
) -> None:
    """Add what ``save`` gave (the room is the caller's job), in its order: an entity with a
    window is active, one with labels only idle, one with neither idle with its count. Each
    window's customers are stored as themselves at their latest transaction in it and as
    -1 - customer before (``kernels`` M_* layout)."""
    for i in range(ids.shape[0]):
        n = w_off[i + 1] - w_off[i]
        n_known = k_off[i + 1] - k_off[i]
        s = _new(hdr, slots, index, kind, ids[i], ACTIVE if n > 0 else IDLE)
        slots[s, M_TOTAL] = totals[i]
        if n > 0:
            _move_window(hdr, slots, pool, amounts, s, max(ROOM, 2 * n))
            off = slots[s, S_WOFF]
            later = set()
            for j in range(n - 1, -1, -1):
                c = custs[w_off[i] + j]
                pool[0, off + j] = times[w_off[i] + j]
                pool[1, off + j] = -1 - c if c in later else c
                amounts[off + j] = amts[w_off[i] + j]
                later.add(c)
            slots[s, M_N] = n
            slots[s, M_DISTINCT] = len(later)
            slots[s, M_LAST] = times[w_off[i] + n - 1]
        if n_known > 0:
            _move_labels(hdr, slots, labels, s, n_known)
            for q in range(n_known):
                labels[slots[s, S_KOFF] + q] = known[k_off[i] + q]
            slots[s, M_KNOWN] = n_known


@nb.njit(cache=True)
def _repack(hdr: I64, slots: I64, pool: I64, amounts: F64, new_pool: I64,
            new_amounts: F64) -> None:  # fmt: skip
    """Copy every window into ``new_pool`` / ``new_amounts``, one after another, each at its
    region's start."""
    top = 0
    for s in range(slots.shape[0]):
        cap = slots[s, S_WCAP]
        if slots[s, S_WHERE] == FREE or cap == 0:
            continue
        lo = slots[s, S_WOFF] + slots[s, M_HEAD]
        for q in range(slots[s, M_N]):
            new_pool[0, top + q] = pool[0, lo + q]
            new_pool[1, top + q] = pool[1, lo + q]
            new_amounts[top + q] = amounts[lo + q]
        slots[s, S_WOFF] = top
        slots[s, M_HEAD] = 0
        top += cap
    hdr[H_TOP] = top
    hdr[H_GARBAGE] = 0


@nb.njit(cache=True)
def _repack_labels(hdr: I64, slots: I64, labels: I64, new_labels: I64) -> None:
    """Copy every label list into ``new_labels``, one after another."""
    top = 0
    for s in range(slots.shape[0]):
        cap = slots[s, S_KCAP]
        if slots[s, S_WHERE] == FREE or cap == 0:
            continue
        lo = slots[s, S_KOFF]
        for q in range(slots[s, M_KNOWN]):
            new_labels[top + q] = labels[lo + q]
        slots[s, S_KOFF] = top
        top += cap
    hdr[H_LTOP] = top
    hdr[H_LGARBAGE] = 0


@nb.njit(cache=True)
def _reindex(hdr: I64, slots: I64, index: I64) -> None:
    """Enter every held entity into the empty ``index``."""
    hdr[H_USED] = hdr[H_LIVE] = 0
    for s in range(slots.shape[0]):
        if slots[s, S_WHERE] != FREE:
            _index_put(hdr, slots, index, s)


def _doubled(size: int, need: int) -> int:
    """``size`` doubled until ``need`` is at most half of it."""
    while 2 * need > size:
        size *= 2
    return size


class EntityStore:
    """The arrays of every merchant, device and payee and the Python that makes room in them
    (``grow``); the kernels above do the rest. ``spans``: each kind's window (stream time an
    entity stays active after its latest transaction)."""

    __slots__ = ("amounts", "hdr", "index", "labels", "pool", "slots")

    def __init__(self, spans: tuple[int, ...] = (W24H, W24H, W7D)) -> None:
        self.hdr = np.zeros(H_SIZE, dtype=np.int64)
        for kind, span in enumerate(spans):
            base = kind * KF
            self.hdr[base + H_ACT_HEAD : base + H_IDLE_TAIL + 1] = -1
            self.hdr[base + H_CAP] = -1
            self.hdr[base + H_SPAN] = span
        self.hdr[H_FREE] = -1
        self.hdr[H_NOW] = self.hdr[H_NEXT_COMPACT] = -(2**62)
        self.slots = np.zeros((0, SF), dtype=np.int64)
        self.index = np.full((2, 64), EMPTY, dtype=np.int64)
        self.pool = np.empty((2, 256), dtype=np.int64)
        self.amounts = np.empty(256, dtype=np.float64)
        self.labels = np.empty(16, dtype=np.int64)
        self._more_slots(16)

    @classmethod
    def warm(cls) -> None:
        """Run every kernel of the store once on a small one (growth, labels, a save and a
        load included), so Numba compiles or loads them all before a request needs one."""
        store = cls()
        hdr = store.hdr
        hdr[H_NEED_SLOTS] = hdr[H_N_FREE] + 1
        hdr[H_NEED_POOL] = store.pool.shape[1] + 1
        hdr[H_NEED_LABELS] = store.labels.shape[0] + 1
        store.grow()
        store.touch(0, 1)
        store.label(0, 1, 0)
        store.unlabel(0, 1, 0)
        store.limit(None)
        cls().load(0, *store.save(0))

    def arrays(self) -> tuple[I64, I64, I64, I64, F64, I64]:
        """``hdr``, ``slots``, ``index``, ``pool``, ``amounts``, ``labels``: the kernels'
        arguments."""
        return self.hdr, self.slots, self.index, self.pool, self.amounts, self.labels

    def _more_slots(self, rows: int) -> None:
        """Add ``rows`` free rows."""
        old = self.slots.shape[0]
        slots = np.zeros((old + rows, SF), dtype=np.int64)
        slots[:old] = self.slots
        new = np.arange(old, old + rows, dtype=np.int64)
        slots[old:, S_WHERE] = FREE
        slots[old:, S_NEXT] = new + 1
        slots[-1, S_NEXT] = self.hdr[H_FREE]
        self.hdr[H_FREE] = old
        self.hdr[H_N_FREE] += rows
        self.slots = slots

    def grow(self) -> None:
        """Make the room the last refused call needed (``hdr[H_NEED_*]``): more rows, a larger
        or cleaned ``index``, and the pools compacted, doubled while half would not hold their
        live cells and the need."""
        hdr = self.hdr
        rows, cells, label_cells = (int(v) for v in hdr[H_NEED_SLOTS : H_NEED_LABELS + 1])
        if hdr[H_N_FREE] < rows:
            self._more_slots(max(rows, self.slots.shape[0]))
        if 2 * (hdr[H_USED] + rows) > self.index.shape[1]:
            self.index = np.full(
                (2, _doubled(self.index.shape[1], 2 * (int(hdr[H_LIVE]) + rows))),
                EMPTY,
                dtype=np.int64,
            )
            _reindex(hdr, self.slots, self.index)
        if hdr[H_TOP] + cells > self.pool.shape[1]:
            size = _doubled(self.pool.shape[1], int(hdr[H_TOP] - hdr[H_GARBAGE]) + cells)
            pool, amounts = np.empty((2, size), dtype=np.int64), np.empty(size)
            _repack(hdr, self.slots, self.pool, self.amounts, pool, amounts)
            self.pool, self.amounts = pool, amounts
        if hdr[H_LTOP] + label_cells > self.labels.shape[0]:
            size = _doubled(self.labels.shape[0], int(hdr[H_LTOP] - hdr[H_LGARBAGE]) + label_cells)
            labels = np.empty(size, dtype=np.int64)
            _repack_labels(hdr, self.slots, self.labels, labels)
            self.labels = labels

    def touch(self, kind: int, eid: int) -> int:
        """``touch`` from Python (room made first): the entity's row."""
        s = _touch_checked(*self.arrays(), kind, eid)
        while s < 0:
            self.grow()
            s = _touch_checked(*self.arrays(), kind, eid)
        return int(s)

    def entity(self, s: int) -> tuple[I64, I64, F64, I64]:
        """Row ``s``'s state as the entity kernel reads it: ``meta``, ``window``, ``amounts``
        and ``known`` (views into the store)."""
        w, c = int(self.slots[s, S_WOFF]), int(self.slots[s, S_WCAP])
        k, kc = int(self.slots[s, S_KOFF]), int(self.slots[s, S_KCAP])
        return (
            self.slots[s, :M_SIZE],
            self.pool[:, w : w + c],
            self.amounts[w : w + c],
            (self.labels[k : k + kc]),
        )

    def label(self, kind: int, eid: int, when: int) -> None:
        """``label`` from Python, room made as needed."""
        while label(self.hdr, self.slots, self.index, self.pool, self.labels, kind, eid, when) < 0:
            self.grow()

    def unlabel(self, kind: int, eid: int, when: int) -> None:
        """``unlabel`` from Python."""
        unlabel(self.hdr, self.slots, self.index, self.labels, kind, eid, when)

    def limit(self, cap: int | None) -> None:
        """Every kind's cap (None: none), applied now."""
        for kind in range(N_KINDS):
            self.hdr[kind * KF + H_CAP] = -1 if cap is None else cap
            limit(self.hdr, self.slots, self.index, kind)

    def counts(self, kind: int) -> tuple[int, int, int]:
        """``kind``'s active, idle and forgotten entities."""
        base = kind * KF
        return (
            int(self.hdr[base + H_N_ACT]),
            int(self.hdr[base + H_N_IDLE]),
            int(self.hdr[base + H_FORGOT]),
        )

    def save(self, kind: int) -> tuple[npt.NDArray[Any], ...]:
        """``save`` of ``kind``."""
        hdr, slots, _, pool, amounts, labels = self.arrays()
        return tuple(save(hdr, slots, pool, amounts, labels, kind))

    def load(
        self,
        kind: int,
        ids: I64,
        totals: I64,
        w_off: I64,
        times: I64,
        custs: I64,
        amts: F64,
        k_off: I64,
        known: I64,
    ) -> None:
        """``load`` of ``kind``, room made first."""
        n = np.diff(w_off)
        hdr = self.hdr
        hdr[H_NEED_SLOTS] = ids.shape[0]
        hdr[H_NEED_POOL] = int(np.maximum(ROOM, 2 * n)[n > 0].sum())
        hdr[H_NEED_LABELS] = int(k_off[-1])
        self.grow()
        load(*self.arrays(), kind, ids, totals, w_off, times, custs, amts, k_off, known)


@nb.njit(cache=True)
def _touch_checked(
    hdr: I64, slots: I64, index: I64, pool: I64, amounts: F64, labels: I64, kind: int, eid: int
) -> int:
    """``touch`` after ``short``: -1 when room must grow first (nothing changed)."""
    rows, cells = needs(hdr, slots, index, kind, eid)
    if short(hdr, slots, index, pool, labels, rows, cells, 0):
        return -1
    return touch(hdr, slots, index, pool, amounts, kind, eid)
