"""Yes and no in Russian and English."""

from __future__ import annotations

from engine.replies.words import find_phrase, word_cost

_YES_TEXT = (
    "да ага угу конечно разумеется верно правильно точно так ок окей хорошо согласен согласна "
    "подтверждаю давай давайте именно yes yeah yep yup ya yea sure ok okay correct right true "
    "certainly absolutely affirmative agree confirm"
)
_NO_TEXT = (
    "нет неа не неверно неправильно отказываюсь no nope nah not false never wrong incorrect "
    "negative decline"
)
YES_WORDS = frozenset(_YES_TEXT.split())
NO_WORDS = frozenset(_NO_TEXT.split())
_NEGATORS = frozenset({"не", "not"})
_UNSURE = tuple(
    tuple(phrase.split())
    for phrase in (
        "не знаю",
        "не уверен",
        "не уверена",
        "может быть",
        "возможно",
        "не помню",
        "dont know",
        "do not know",
        "not sure",
        "maybe",
        "perhaps",
        "dont remember",
    )
)


def _which(word: str) -> bool | None:
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    if len(word) < 4:
        return None
    for known in YES_WORDS:
        if len(known) >= 4 and word_cost(word, known) is not None:
            return True
    for known in NO_WORDS:
        if len(known) >= 4 and word_cost(word, known) is not None:
            return False
    return None


def read_yes_no(tokens: tuple[str, ...]) -> bool | str:
    """True or False, or the reason the reply is neither."""
    if not tokens:
        return "expected yes or no"
    if any(find_phrase(tokens, phrase) is not None for phrase in _UNSURE):
        return "the reply is neither yes nor no"
    found: set[bool] = set()
    index = 0
    while index < len(tokens):
        word = tokens[index]
        following = _which(tokens[index + 1]) if index + 1 < len(tokens) else None
        if word in _NEGATORS and following is True:
            found.add(False)  # "не верно", "not correct"
            index += 2
            continue
        meaning = _which(word)
        if meaning is not None:
            found.add(meaning)
        index += 1
    if len(found) == 1:
        return found.pop()
    if found:
        return "the reply says both yes and no"
    return "expected yes or no"
