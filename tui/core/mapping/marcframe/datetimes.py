"""marcframe's dates and times: MARC's ``yyMMdd`` (008/00-05) and ``yyyyMMddHHmmss.S`` (005) to
and from Libris's ISO form (``2010-10-01T12:45:25.0+02:00``), in the zone marcframe names (CET,
with summer time), the way Java's ``DateTimeFormatter`` reads and writes them."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

_FIELDS = {"yyyy": r"(?P<y>\d{4})", "MM": r"(?P<M>\d{2})", "dd": r"(?P<d>\d{2})", "HH": r"(?P<H>\d{2})"}
_FIELDS.update({"mm": r"(?P<m>\d{2})", "ss": r"(?P<s>\d{2})", "S": r"(?P<S>\d)"})
_TOKEN = re.compile(r"yyyy|MM|dd|HH|mm|ss|S|.", re.S)

#: Libris's form: ``yyyy-MM-dd'T'HH:mm:ss[.n]XXX`` (nano-of-second unpadded, ``Z`` for UTC)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)$")


@lru_cache(maxsize=16)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(_FIELDS.get(t, re.escape(t)) for t in _TOKEN.findall(pattern)) + r"\Z")


@lru_cache(maxsize=8)
def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except Exception:  # no tz database: the offset of standard time
        return timezone(timedelta(hours=1)) if name == "CET" else None


def _offset(dt: datetime) -> str:
    off = dt.utcoffset() or timedelta(0)
    if not off:
        return "Z"
    total = int(off.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def parse_marc(value: str, pattern: str, zone: str | None) -> str | None:
    """A MARC date (``pattern`` as marcframe writes it) as Libris's date-time, ``None`` if it is
    not one. ``yyMMdd`` gets its century as marcframe gives it (after ``70``: 19xx, else 20xx)."""
    if pattern == "yyMMdd":
        value = ("19" if value[0:3] > "70" else "20") + value
        pattern = "yyyyMMdd"
    m = _pattern(pattern).match(value)
    if not m:
        return None
    g = m.groupdict()
    try:
        year, month = int(g["y"]), int(g["M"])
        day = int(g["d"])
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            return None
        day = min(day, calendar.monthrange(year, month)[1])  # Java's lenient day of month
        hour, minute, second = int(g.get("H") or 0), int(g.get("m") or 0), int(g.get("s") or 0)
        nanos = int(g["S"]) * 100_000_000 if g.get("S") else 0
        dt = datetime(year, month, day, hour, minute, second)
    except (ValueError, TypeError):
        return None
    tz = _zone(zone)
    if tz is not None:
        dt = dt.replace(tzinfo=tz)
    elif "H" not in g:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos}" + _offset(dt)


def format_marc(value: str, pattern: str) -> str | None:
    """Libris's date-time as a MARC date (``pattern``), in its own offset; ``None`` when the
    value is not such a date-time."""
    m = _ISO.match(value)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, _off = m.groups()
    digits = {"yyyy": y, "MM": mo, "dd": d, "HH": hh, "mm": mi, "ss": ss}
    nanos = int((frac or "0")[:9]) if frac else 0
    digits["S"] = str(nanos // 100_000_000)
    century = pattern == "yyMMdd"
    if century:
        pattern = "yyyyMMdd"
    out = "".join(digits.get(t, t) for t in _TOKEN.findall(pattern))
    return out[2:] if century else out
