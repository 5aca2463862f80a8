"""Matching a free-text reply to one of a step's options."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from engine.model import Option
from engine.replies.numbers import option_number
from engine.replies.words import content_words, matching_words, normalise
from engine.replies.yesno import NO_WORDS, YES_WORDS, read_yes_no

Score = tuple[int, int, int]


@dataclass(frozen=True)
class OptionMatch:
    """The position of the matched option, or why there is none."""

    index: int | None
    reason: str = ""


class OptionIndex:
    """Normalised forms of a step's options, built once per option tuple."""

    __slots__ = ("boolean", "labels", "options", "phrases", "values", "vocabulary")

    def __init__(self, options: tuple[Option, ...]) -> None:
        self.options = options
        self.labels: dict[str, tuple[int, ...]] = {}
        self.values: dict[str, tuple[int, ...]] = {}
        phrases: list[tuple[int, tuple[str, ...]]] = []
        for index, option in enumerate(options):
            value = _value_text(option.value)
            for form in (option.label, *option.synonyms):
                self._add(self.labels, normalise(form), index)
            if value:
                self._add(self.values, value, index)
            for form in (option.label, *option.synonyms, value):
                tokens = content_words(tuple(normalise(form).split()))
                if tokens and (index, tokens) not in phrases:
                    phrases.append((index, tokens))
        self.phrases = tuple(phrases)
        self.vocabulary = frozenset(w for _, phrase in phrases for w in phrase)
        self.boolean = self._boolean_positions()

    @staticmethod
    def _add(table: dict[str, tuple[int, ...]], key: str, index: int) -> None:
        if key and index not in table.get(key, ()):
            table[key] = (*table.get(key, ()), index)

    def _boolean_positions(self) -> dict[bool, int]:
        found: dict[bool, list[int]] = {True: [], False: []}
        for index, option in enumerate(self.options):
            meaning: bool | None = None
            if isinstance(option.value, bool):
                meaning = option.value
            else:
                label = normalise(option.label)
                if label in YES_WORDS:
                    meaning = True
                elif label in NO_WORDS:
                    meaning = False
            if meaning is not None:
                found[meaning].append(index)
        return {k: v[0] for k, v in found.items() if len(v) == 1}

    def label(self, index: int) -> str:
        return self.options[index].label


def _value_text(value: object) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return normalise(str(value))


@lru_cache(maxsize=2048)
def _cached(options: tuple[Option, ...]) -> OptionIndex:
    return OptionIndex(options)


def option_index(options: tuple[Option, ...]) -> OptionIndex:
    """The (cached) index of ``options``; options with unhashable values are indexed afresh."""
    try:
        return _cached(options)
    except TypeError:
        return OptionIndex(options)


def exact_option(index: OptionIndex, text: str) -> int | None:
    """The option whose label or synonym is exactly the reply, if exactly one is."""
    hits = index.labels.get(normalise(text), ())
    return hits[0] if len(hits) == 1 else None


def _listed(index: OptionIndex, positions: Iterable[int]) -> str:
    return ", ".join(index.label(p) for p in positions)


def _total(costs: Iterable[int | None]) -> int | None:
    """The sum of costs, or None when any word has no counterpart."""
    total = 0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return total


def _phrase_score(
    matched: list[dict[str, int]], content: list[dict[str, int]], phrase: tuple[str, ...]
) -> Score | None:
    """(2, ...) when the whole phrase is in the reply, (1, ...) when the reply is in it.

    ``matched`` and ``content`` hold, per reply word (all / meaningful ones), the
    option words it may stand for and at what cost.
    """
    forward = _total(min((m[w] for m in matched if w in m), default=None) for w in phrase)
    if forward is not None:
        return (2, len(phrase), -forward)
    backward = _total(min((m[w] for w in phrase if w in m), default=None) for m in content)
    if content and backward is not None:
        return (1, len(content), -backward)
    return None


def match_option(index: OptionIndex, text: str, *, numbers: bool = True) -> OptionMatch:
    """Match by label/synonym, option number, value, then by words with typos forgiven."""
    norm = normalise(text)
    if not norm:
        return OptionMatch(None, "the reply is empty")
    hits = index.labels.get(norm, ())
    if len(hits) == 1:
        return OptionMatch(hits[0])
    if hits:
        return OptionMatch(None, f"{text.strip()!r} fits several options: {_listed(index, hits)}")
    tokens = tuple(norm.split())
    number = option_number(tokens) if numbers else None
    if number is not None and 1 <= number <= len(index.options):
        return OptionMatch(number - 1)
    values = index.values.get(norm, ())
    if len(values) == 1:
        return OptionMatch(values[0])
    if number is not None:
        return OptionMatch(None, f"there is no option {number}; choose 1 to {len(index.options)}")
    best: dict[int, Score] = {}
    matched = [matching_words(token, index.vocabulary) for token in tokens]
    content = [matching_words(token, index.vocabulary) for token in content_words(tokens)]
    for position, phrase in index.phrases if any(matched) else ():
        score = _phrase_score(matched, content, phrase)
        if score is not None and score > best.get(position, (0, 0, -99)):
            best[position] = score
    if best:
        top = max(best.values())
        leaders = [p for p, s in best.items() if s == top]
        if len(leaders) == 1:
            return OptionMatch(leaders[0])
        return OptionMatch(
            None, f"{text.strip()!r} fits several options: {_listed(index, leaders)}"
        )
    if index.boolean:
        meaning = read_yes_no(tokens)
        if isinstance(meaning, bool) and meaning in index.boolean:
            return OptionMatch(index.boolean[meaning])
    return OptionMatch(None, f"{text.strip()!r} matches no option")
