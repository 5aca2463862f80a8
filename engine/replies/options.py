"""Matching a free-text reply to one of a step's options."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from engine.model import Option
from engine.replies.numbers import option_number
from engine.replies.words import STOP_WORDS, content_words, matching_words, normalise
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
        phrases: list[tuple[int, tuple[str, ...], frozenset[str]]] = []
        for index, option in enumerate(options):
            value = _value_text(option.value)
            for form in (option.label, *option.synonyms):
                self._add(self.labels, normalise(form), index)
            if value:
                self._add(self.values, value, index)
            for form in (option.label, *option.synonyms, value):
                tokens = content_words(tuple(normalise(form).split()))
                entry = (index, tokens, frozenset(tokens))
                if tokens and entry not in phrases:
                    phrases.append(entry)
        self.phrases = tuple(phrases)
        self.vocabulary = frozenset(w for _, phrase, _ in phrases for w in phrase)
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


def _scores(index: OptionIndex, tokens: tuple[str, ...]) -> dict[int, Score]:
    """Per option, its best phrase's score: (2, words, -typos) when the whole phrase is in
    the reply, (1, words, -typos) when every meaningful reply word is in the phrase."""
    matched = [matching_words(token, index.vocabulary) for token in tokens]
    seen: dict[str, int] = {}
    for candidates in matched:
        for word, cost in candidates.items():
            if cost < seen.get(word, cost + 1):
                seen[word] = cost
    if not seen:
        return {}
    content = [m for t, m in zip(tokens, matched, strict=True) if t not in STOP_WORDS] or matched
    best: dict[int, Score] = {}
    for position, phrase, vocabulary in index.phrases:
        if vocabulary <= seen.keys():
            score = (2, len(phrase), -sum(seen[w] for w in phrase))
        elif all(not vocabulary.isdisjoint(m) for m in content):
            typos = sum(min(c for w, c in m.items() if w in vocabulary) for m in content)
            score = (1, len(content), -typos)
        else:
            continue
        if score > best.get(position, (0, 0, 0)):
            best[position] = score
    return best


def match_option(index: OptionIndex, text: str) -> OptionMatch:
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
    number = option_number(tokens)
    if number is not None and 1 <= number <= len(index.options):
        return OptionMatch(number - 1)
    values = index.values.get(norm, ())
    if len(values) == 1:
        return OptionMatch(values[0])
    if number is not None:
        return OptionMatch(None, f"there is no option {number}; choose 1 to {len(index.options)}")
    best = _scores(index, tokens)
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
