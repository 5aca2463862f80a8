"""Words of a reply: normalisation, light stemming and typo-tolerant comparison.

Typos are counted as the optimal string alignment distance (Damerau-Levenshtein where a
swap of neighbours is one typo), by ``rapidfuzz``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

_APOSTROPHES = re.compile(r"['’`ʼ]")
_NOT_WORD = re.compile(r"[\W_]+")
_CLAUSE_BREAK = re.compile(r"[,.;:!?…()\[\]\n]+")

_RU_ENDINGS_TEXT = (
    "овать евать уйте юйте айте яйте ьте йте ует уют "
    "иями ями ами ией ием иях ях ах ого его ому ему ыми ими ой ей ий ый ая яя ое ее "
    "ую юю ом ем ам ям ов ев ью ья ье ие ые ых их ия ию ии ите ить ать ять еть ут ют "
    "ишь ешь ет ит а я о е ы и у ю ь й"
)
_RU_ENDINGS = tuple(sorted(_RU_ENDINGS_TEXT.split(), key=len, reverse=True))
_EN_ENDINGS = ("ing", "ed", "s")

_STOP_WORDS_TEXT = (
    "i me my mine we us our you your a an the to of for in on at is am are be it its this "
    "that please want wanna would like need can could do id im ive just with and or some about "
    "я мне меня мой моя мое мои мы нам наш вы вам ваш в во на по о об с со к ко у из за для "
    "и а или это этот эта то пожалуйста хочу хотел хотела хотелось бы нужно надо можно ли же вот"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def normalise(text: str) -> str:
    """Lower case, ``ё`` as ``е``, punctuation and extra whitespace dropped."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def words(text: str) -> tuple[str, ...]:
    return tuple(normalise(text).split())


def clauses(text: str) -> tuple[tuple[str, ...], ...]:
    """The reply split at punctuation, each part as normalised words."""
    parts = (words(part) for part in _CLAUSE_BREAK.split(text))
    return tuple(part for part in parts if part)


def content_words(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The words that carry meaning; all words when every one is a stop word."""
    kept = tuple(t for t in tokens if t not in STOP_WORDS)
    return kept or tokens


def _is_cyrillic(word: str) -> bool:
    return "а" <= word[0] <= "я"


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """Strip a common Russian or English inflection, keeping at least three letters."""
    if len(word) < 4 or word.isdigit():
        return word
    endings = _RU_ENDINGS if _is_cyrillic(word) else _EN_ENDINGS
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def allowed_typos(length: int) -> int:
    """Typos forgiven in a word of this length: none below 4, one up to 7, two from 8."""
    if length < 4:
        return 0
    return 1 if length < 8 else 2


@lru_cache(maxsize=65536)
def word_cost(said: str, expected: str) -> int | None:
    """How far ``said`` is from ``expected`` (0 = same word or inflection), None if unlike."""
    if said == expected:
        return 0
    if said.isdigit() or expected.isdigit():
        return None
    said_stem, expected_stem = stem(said), stem(expected)
    if said_stem == expected_stem:
        return 0
    limit = allowed_typos(len(expected))
    if limit == 0:
        return None
    cost = min(
        OSA.distance(said, expected, score_cutoff=limit),
        OSA.distance(said_stem, expected_stem, score_cutoff=limit),
    )
    return cost if cost <= limit else None


def find_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> int | None:
    """Where ``phrase`` occurs in ``tokens`` as consecutive (typo-tolerant) words."""
    size = len(phrase)
    for start in range(len(tokens) - size + 1):
        if all(word_cost(tokens[start + k], phrase[k]) is not None for k in range(size)):
            return start
    return None


@lru_cache(maxsize=65536)
def matching_words(said: str, vocabulary: frozenset[str], max_cost: int = 2) -> dict[str, int]:
    """The words of ``vocabulary`` that ``said`` may stand for, with their costs (read-only)."""
    found: dict[str, int] = {}
    for expected in vocabulary:
        cost = word_cost(said, expected)
        if cost is not None and cost <= max_cost:
            found[expected] = cost
    return found
