"""When a visitor can ask to be called: a day in the next week and a time window.

Windows are in the service's time zone; due times are stored in UTC.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS_AHEAD = 7


@dataclass(frozen=True)
class Window:
    code: str
    start: time
    end: time  # time(0) means midnight at the end of the day

    @property
    def label(self) -> str:
        return f"{self.start_label} to {_clock_words(self.end)}"

    @property
    def start_label(self) -> str:
        return _clock_words(self.start)


def _clock_words(moment: time) -> str:
    if moment.hour == 0:
        return "midnight"
    if moment.hour == 12:
        return "midday"
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{(moment.hour - 1) % 12 + 1}{suffix}"


WINDOWS: tuple[Window, ...] = tuple(
    Window(f"{hour:02d}-{(hour + 2) % 24:02d}", time(hour), time((hour + 2) % 24))
    for hour in range(8, 24, 2)
)
WINDOWS_BY_CODE = {window.code: window for window in WINDOWS}


def window_bounds(day: date, window: Window, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The window on `day` as aware datetimes in `zone`."""
    start = datetime.combine(day, window.start, tzinfo=zone)
    end_day = day + timedelta(days=1) if window.end <= window.start else day
    return start, datetime.combine(end_day, window.end, tzinfo=zone)


def bookable_days(now: datetime, zone: ZoneInfo) -> tuple[date, ...]:
    """Today and the following days, in the service's zone, with a window still open.
    Windows start and end on the minute (every zone's offset is whole minutes), so the
    answer for the minute's start holds all minute."""
    minute = now.replace(second=0, microsecond=0)
    today = minute.astimezone(zone).date()
    days = (today + timedelta(days=offset) for offset in range(DAYS_AHEAD))
    return tuple(day for day in days if open_windows(day, minute, zone))


def open_windows(day: date, now: datetime, zone: ZoneInfo) -> list[Window]:
    """The windows on `day` that have not yet ended."""
    return [window for window in WINDOWS if window_bounds(day, window, zone)[1] > now]


def is_bookable(day: date, window: Window, now: datetime, zone: ZoneInfo) -> bool:
    return day in bookable_days(now, zone) and window in open_windows(day, now, zone)


def day_label(day: date, today: date) -> str:
    """'Today', 'Tomorrow' or 'Friday 27 November'."""
    if day == today:
        return f"Today ({day:%A} {day.day} {day:%B})"
    if day == today + timedelta(days=1):
        return f"Tomorrow ({day:%A} {day.day} {day:%B})"
    return f"{day:%A} {day.day} {day:%B}"
