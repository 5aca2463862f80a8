"""Recognising a customer who asks for a person."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from engine.replies.words import clauses, content_words, matching_words, words

DEFAULT_PERSON_PHRASES: tuple[str, ...] = (
    "оператор",
    "человек",
    "живой человек",
    "позовите оператора",
    "соедините с оператором",
    "переключите на оператора",
    "operator",
    "person",
    "real person",
    "agent",
    "live agent",
    "human",
    "talk to a human",
    "representative",
)
_NEGATORS_TEXT = "не без никакого никакой никаких никакие no not dont without никто nobody"
_NEGATORS = frozenset(_NEGATORS_TEXT.split())


@dataclass(frozen=True)
class ReplyPolicy:
    """What counts as asking for a person.

    A phrase counts when its clause has at most ``person_extra_words`` other
    meaningful words, so "оператор вчера сказал, что ..." in a long description is
    not a request. ``person_digit`` is the DTMF key for an operator.
    """

    person_phrases: tuple[str, ...] = DEFAULT_PERSON_PHRASES
    person_digit: str = "0"
    person_extra_words: int = 4


DEFAULT_POLICY = ReplyPolicy()


class _Phrases:
    """A policy's phrases as words, with the vocabulary they are made of."""

    __slots__ = ("phrases", "vocabulary")

    def __init__(self, phrases: tuple[str, ...]) -> None:
        found = {words(phrase) for phrase in phrases}
        ordered = sorted((p for p in found if p), key=len, reverse=True)
        self.phrases = tuple((phrase, frozenset(phrase)) for phrase in ordered)
        self.vocabulary = frozenset(w for phrase in ordered for w in phrase)


@lru_cache(maxsize=64)
def _prepared(phrases: tuple[str, ...]) -> _Phrases:
    return _Phrases(phrases)


def _occurs(
    matched: list[dict[str, int]], clause: tuple[str, ...], phrase: tuple[str, ...]
) -> bool:
    size = len(phrase)
    for start in range(len(clause) - size + 1):
        if phrase[0] not in matched[start]:
            continue
        found = all(phrase[k] in matched[start + k] for k in range(1, size))
        if found and not _NEGATORS.intersection(clause[max(0, start - 2) : start]):
            return True
    return False


def asks_for_person(text: str, policy: ReplyPolicy = DEFAULT_POLICY) -> bool:
    """Whether the reply asks for a person: a phrase of the policy, inflected or with one typo."""
    prepared = _prepared(policy.person_phrases)
    for clause in clauses(text):
        matched = [matching_words(token, prepared.vocabulary, 1) for token in clause]
        present = set().union(*matched)
        if not present:
            continue
        meaningful = len(content_words(clause))
        for phrase, vocabulary in prepared.phrases:
            if meaningful > len(phrase) + policy.person_extra_words or not vocabulary <= present:
                continue
            if _occurs(matched, clause, phrase):
                return True
    return False
