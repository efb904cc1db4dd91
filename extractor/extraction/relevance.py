"""Truce language: the words that make a passage worth sending to the model.

Used by the long-article filter (`windows.py`). The list errs on the side of sending:
a paragraph that mentions a truce in passing costs a few hundred characters, one that
is left out loses its claims. It covers the kinds of claim the schema knows (requests,
offers, agreements, declarations, violations, extensions, ends, denials, talks): the
nouns (truce, ceasefire, cessation of hostilities, armistice, pause, lull, halt,
de-escalation), the verbs of stopping a fight ("stop the fighting", "hold fire", "lay
down arms", "silence the guns", "the guns fell silent"), and the agreement words that
come with them ("hold their positions", "front lines quiet").
"""

from __future__ import annotations

import re

TRUCE_LANGUAGE = re.compile(
    r"\b(?:"
    r"truces?|cease[- ]?fires?|armistice|cessation of (?:hostilities|fighting|attacks|operations)"
    r"|hudna|de-?escalat\w*|(?:humanitarian |military |operational )?pauses?\b|lulls?"
    r"|halt(?:s|ed|ing)?\b(?: to| in| of)?|stand[- ]?down"
    r"|(?:stop|end|suspend|freeze)(?:s|ped|ping|ed|ing)? (?:the |all |its |their )?"
    r"(?:fighting|hostilities|attacks|offensive|operations|shelling|firing|bombing|strikes)"
    r"|hold(?:s|ing)? (?:their |its |our )?(?:fire|positions)|held (?:their |its )?(?:fire|positions)"
    r"|lay(?:ing)? down (?:their |its |our )?arms|laid down (?:their |its )?arms"
    r"|silenc\w* (?:the |their |our )?guns"
    r"|guns (?:have |had |has )?(?:fell|fallen|fall|went|gone|go|been|are|were|remained|stayed) (?:silent|quiet)"
    r"|(?:front ?lines?|front|border|line of control) (?:has |have |had )?"
    r"(?:been |remained |stayed |was |were )?(?:quiet|calm)"
    r")",
    re.I,
)


def speaks_of_truce(text: str) -> bool:
    """Whether a passage holds any truce language."""
    return TRUCE_LANGUAGE.search(text) is not None
