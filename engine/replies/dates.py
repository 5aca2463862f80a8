"""Dates in replies: ISO, day-first numerals, month names and today/tomorrow/yesterday."""

from __future__ import annotations

import re
from datetime import date, timedelta

from engine.replies.numbers import spell_out_numbers
from engine.replies.words import find_phrase, words

_RELATIVE: tuple[tuple[tuple[str, ...], int], ...] = tuple(
    (tuple(phrase.split()), shift)
    for phrase, shift in (
        ("day after tomorrow", 2),
        ("day before yesterday", -2),
        ("послезавтра", 2),
        ("позавчера", -2),
        ("сегодня", 0),
        ("today", 0),
        ("завтра", 1),
        ("tomorrow", 1),
        ("вчера", -1),
        ("yesterday", -1),
    )
)


_RUSSIAN_MONTH_STEMS = "январ феврал март апрел ма июн июл август сентябр октябр ноябр декабр"
_ENGLISH_MONTHS = (
    "january february march april may june july august september october november december"
)


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    russian = _RUSSIAN_MONTH_STEMS.split()
    for number, stem in enumerate(russian, 1):
        if stem == "ма":
            names.update({"май": 5, "мая": 5, "мае": 5})
            continue
        soft = stem not in ("март", "август")
        endings = ("ь", "я", "е") if soft else ("", "а", "е")
        names.update({stem + ending: number for ending in endings})
    english = _ENGLISH_MONTHS.split()
    for number, name in enumerate(english, 1):
        names[name] = number
        names[name[:3]] = number
    names["sept"] = 9
    return names


_MONTHS = _month_names()
_ISO = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_DAY = r"(\d{1,2})(?:\s?(?:st|nd|rd|th|го|е|ое|ого))?"
_DAY_MONTH = re.compile(_DAY + r"\s+([a-zа-я]+)(?:\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([a-zа-я]+)\s+" + _DAY + r"(?:\s+(\d{4}))?")


def _build(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(year: str | None, today: date) -> int:
    if not year:
        return today.year
    return 2000 + int(year) if len(year) == 2 else int(year)


def read_date(text: str, today: date) -> date | str:
    """The date a reply names, or the reason none could be read."""
    tokens = words(text)
    for phrase, shift in _RELATIVE:
        if find_phrase(tokens, phrase) is not None:
            return today + timedelta(days=shift)
    match = _ISO.search(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _build(year, month, day) or f"{match.group(0)} is not a real date"
    match = _NUMERIC.search(text)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        year = _full_year(match.group(3), today)
        found = _build(year, month, day) or _build(year, day, month)
        return found or f"{match.group(0)} is not a real date"
    match = _COMPACT.search(text)
    if match:
        digits = match.group(1)
        found = _build(int(digits[4:]), int(digits[2:4]), int(digits[:2])) or _build(
            int(digits[:4]), int(digits[4:6]), int(digits[6:])
        )
        return found or f"{digits} is not a real date"
    spoken = " ".join(spell_out_numbers(tokens))
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for match in pattern.finditer(spoken):
            named = _MONTHS.get(match.group(month_group))
            if named is None:
                continue
            year = _full_year(match.group(3), today)
            day = int(match.group(day_group))
            return _build(year, named, day) or f"{match.group(0)} is not a real date"
    return "expected a date such as 23.11.2026 or 2026-11-23"
