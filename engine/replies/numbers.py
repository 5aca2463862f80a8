"""Numbers in replies: digits with Russian or English separators, and number words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.replies.words import words

_CARDINALS: dict[str, int] = {
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "одно": 1, "одну": 1, "два": 2, "две": 2,
    "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
    "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
    "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
    "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES: dict[str, int] = {
    "тысяча": 1000, "тысячи": 1000, "тысяч": 1000, "тысячу": 1000, "тыс": 1000,
    "миллион": 1_000_000, "миллиона": 1_000_000, "миллионов": 1_000_000, "млн": 1_000_000,
    "thousand": 1000, "thousands": 1000, "million": 1_000_000, "millions": 1_000_000,
    "k": 1000,
}  # fmt: skip


def _russian_ordinals() -> dict[str, int]:
    stems = {
        "перв": 1, "втор": 2, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8,
        "девят": 9, "десят": 10, "одиннадцат": 11, "двенадцат": 12, "тринадцат": 13,
        "четырнадцат": 14, "пятнадцат": 15, "шестнадцат": 16, "семнадцат": 17,
        "восемнадцат": 18, "девятнадцат": 19, "двадцат": 20, "тридцат": 30,
    }  # fmt: skip
    endings = ("ый", "ой", "ая", "ое", "ую", "ого", "ому", "ом", "ые", "ых", "ей")
    forms = {s + e: n for s, n in stems.items() for e in endings}
    forms.update({"трет" + e: 3 for e in ("ий", "ья", "ье", "ью", "ьего", "ьему", "ьем", "ьей")})
    return forms


_ORDINALS: dict[str, int] = {
    **_russian_ordinals(),
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9,
}  # fmt: skip

_OPTION_FILLERS_TEXT = (
    "вариант номер пункт цифра выбираю ответ option number choice item the answer choose "
    "pick select"
)
_OPTION_FILLERS = frozenset(_OPTION_FILLERS_TEXT.split())

_NUMBER = re.compile(
    r"(?<![\w.,])([-+−]?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)((?:[.,]\d+)*)"
)
_SCALE_AFTER = re.compile(r"\s*(тыс\w*|thousands?|k\b|млн|миллион\w*|millions?)", re.IGNORECASE)

Number = int | float


@dataclass(frozen=True)
class NumberReading:
    """A number read from a reply, or why none could be read."""

    value: Number | None
    reason: str = ""


def _word_value(word: str) -> tuple[str, int] | None:
    if word in _CARDINALS:
        value = _CARDINALS[word]
        if value >= 100:
            return "hundreds", value
        if value >= 20 and value % 10 == 0:
            return "tens", value
        return ("teens" if value >= 10 else "units"), value
    if word == "hundred":
        return "hundred", 100
    if word in _SCALES:
        return "scale", _SCALES[word]
    if word in _ORDINALS:
        return "ordinal", _ORDINALS[word]
    return None


# Which word kinds may follow a given kind inside one spoken number.
_ANY = frozenset({"units", "teens", "tens", "hundreds", "hundred", "scale", "ordinal"})
_MAY_FOLLOW: dict[str, frozenset[str]] = {
    "start": _ANY,
    "units": frozenset({"hundred", "scale"}),
    "teens": frozenset({"hundred", "scale"}),
    "tens": frozenset({"units", "scale", "ordinal"}),
    "hundred": frozenset({"units", "teens", "tens", "scale", "ordinal"}),
    "hundreds": frozenset({"units", "teens", "tens", "scale", "ordinal"}),
    "scale": frozenset({"units", "teens", "tens", "hundreds", "ordinal"}),
    "ordinal": frozenset(),
}


def spell_out_numbers(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Replace runs of number words (cardinal or ordinal) with digit tokens."""
    out: list[str] = []
    total = current = 0
    last = "start"
    for index, word in enumerate(tokens):
        reading = _word_value(word)
        if word == "one" and last == "ordinal":
            continue  # "the second one"
        if reading is None and word == "and" and last != "start" and index + 1 < len(tokens):
            following = _word_value(tokens[index + 1])
            if following is not None and following[0] in _MAY_FOLLOW[last]:
                continue  # "one hundred and five"
        if reading is None or reading[0] not in _MAY_FOLLOW[last]:
            if last != "start":
                out.append(str(total + current))
            total = current = 0
            last = "start"
        if reading is None:
            out.append(word)
            continue
        kind, value = reading
        if kind == "hundred":
            current = max(current, 1) * 100
        elif kind == "scale":
            total += max(current, 1) * value
            current = 0
        else:
            current += value
        last = kind
    if last != "start":
        out.append(str(total + current))
    return tuple(out)


def option_number(tokens: tuple[str, ...]) -> int | None:
    """The option number a reply names on its own ("2", "второй вариант", "option three")."""
    rest = [t for t in spell_out_numbers(tokens) if t not in _OPTION_FILLERS]
    if len(rest) == 1 and rest[0].isdigit():
        return int(rest[0])
    return None


def _read_digits(sign: str, whole: str, tail: str) -> Number | None:
    whole = re.sub(r"\D", "", whole)
    groups = re.findall(r"([.,])(\d+)", tail)
    if not groups:
        number: Number = int(whole)
    elif len(groups) == 1:
        separator, digits = groups[0]
        if separator == "," and len(digits) == 3 and len(whole) <= 3:
            number = int(whole + digits)
        else:
            number = float(f"{whole}.{digits}")
    else:
        *thousands, (last_sep, last_digits) = groups
        separators = {sep for sep, _ in thousands}
        if len(separators) != 1 or any(len(d) != 3 for _, d in thousands) or len(whole) > 3:
            return None
        joined = whole + "".join(d for _, d in thousands)
        if last_sep in separators:
            if len(last_digits) != 3:
                return None
            number = int(joined + last_digits)
        else:
            number = float(f"{joined}.{last_digits}")
    return -number if sign in ("-", "−") else number


def read_number(text: str, *, join_digit_groups: bool = False) -> NumberReading:
    """The one number in ``text``: digits ("1 234,5", "12.5", "5 тыс") or words."""
    found: list[Number] = []
    for match in _NUMBER.finditer(text):
        value = _read_digits(*match.groups())
        if value is None:
            return NumberReading(None, f"cannot read {match.group(0).strip()!r} as a number")
        scale = _SCALE_AFTER.match(text, match.end())
        if scale is not None:
            unit = scale.group(1).casefold()
            value *= 1000 if unit.startswith(("тыс", "thousand", "k")) else 1_000_000
        found.append(value)
    if not found:
        spelled = spell_out_numbers(words(text))
        digits = [t for t in spelled if t.isdigit()]
        if join_digit_groups and len(digits) > 1 and len(digits) == len(spelled):
            return NumberReading(int("".join(digits)))
        found = [int(d) for d in digits]
    elif join_digit_groups and len(found) > 1 and re.fullmatch(r"[\d\s]+", text.strip()):
        return NumberReading(int("".join(text.split())))
    if not found:
        return NumberReading(None, "expected a number")
    if len(found) > 1:
        listed = ", ".join(str(n) for n in found)
        return NumberReading(None, f"the reply has several numbers ({listed}); expected one")
    return NumberReading(found[0])
