"""Truce language: the words that make a passage worth sending to the model.

Used by the long-article filter (`windows.py`). It errs on the side of sending: a
paragraph that mentions a truce in passing costs a few hundred characters, one left out
loses its claims. It covers the kinds of claim the schema knows (requests, offers,
agreements, declarations, violations, extensions, ends, denials, talks):

- the words that always name one: truce, ceasefire (cease-fire), armistice, cessation
  of hostilities, hudna, de-escalation;
- generic words only with a fight to stop: "a humanitarian pause", "a pause in the
  fighting", "a lull in the shelling", "halted its offensive", "a halt to attacks";
  "talks are on pause" or "traffic came to a halt" are not truce language;
- the verbs of stopping a fight: "stop the fighting", "stopped firing", "hold fire",
  "hold their positions", "lay down arms", "silence the guns", "the guns fell silent",
  "the front has been quiet";
- the words a walk-back or a rejection uses for the offer it speaks of: "only an
  initiative that we are still studying", "preconditions".

A "price truce" or "trade truce" is not a truce between armed parties (the suite's
conventions say so too) and does not count.

The coverage audit (`report/audit.py`) reads sentences with a broader list on purpose
("pause" and "halt" alone): it shows a person every sentence that may speak of a truce,
where this filter decides what is worth the tokens.
"""

from __future__ import annotations

import re

_FIGHT = (
    r"(?:the |this |that |all |its |their |our |his |her |any )?(?:military |ground |air |armed )?"
    r"(?:fighting|hostilities|attacks?|offensives?|operations|shelling|firing|bombing|bombardment|strikes|"
    r"clashes|advance|assault|combat|violence|war)"
)
TRUCE_LANGUAGE = re.compile(
    r"\b(?:"
    r"(?<!price )(?<!trade )(?<!tariff )(?<!pricing )truces?"
    r"|cease[- ]?fires?|armistice|cessation of (?:hostilities|fighting|attacks|operations)|hudna|de-?escalat\w*"
    rf"|(?:humanitarian|military|operational|tactical) (?:pause|lull|halt)s?"
    rf"|(?:pause|lull|halt|let-?up|break)s? (?:in|to|of|on) {_FIGHT}"
    rf"|(?:stop|end|halt|suspend|freeze|pause|cease|call off|hold off)(?:s|ped|ping|ed|ing)? {_FIGHT}"
    r"|(?:stop|cease)(?:s|ped|ping|d|ing)? (?:fire|firing|shooting|fighting)"
    r"|(?:hold|held|holding|holds) (?:their |its |our |his )?(?:fire|positions)"
    r"|initiatives?|preconditions"
    r"|(?:lay|laid|laying|lays) down (?:their |its |our )?(?:arms|weapons)"
    r"|silenc\w* (?:the |their |our |its )?(?:guns|weapons)"
    r"|guns (?:have |had |has )?(?:fell|fallen|fall|went|gone|go|been|are|were|remained|stayed) (?:silent|quiet)"
    r"|(?:front ?lines?|front|border|line of control|frontier) (?:has |have |had )?"
    r"(?:been |remained |stayed |was |were |is |are )?(?:quiet|calm)"
    r")",
    re.I,
)


def speaks_of_truce(text: str) -> bool:
    """Whether a passage holds any truce language."""
    return TRUCE_LANGUAGE.search(text) is not None
