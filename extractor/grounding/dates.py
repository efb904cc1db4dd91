"""Article datelines and event dates resolved against them.

Relative words ("on Friday", "Thursday night", "last week") are resolved against the
article's date, preferring the past; without an article date they stay unknown. A
date is never invented: a day and month without a year and without an article date
is unknown too.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta

from dateparser.date import DateDataParser

from extractor.extraction.schema import ResolvedDate

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|"
    "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATELINE_PATTERNS = [
    re.compile(rf"\b(?:{_MONTHS})\.? \d{{1,2}}, \d{{4}}\b"),  # April 8, 2015
    re.compile(rf"\b\d{{1,2}} (?:{_MONTHS}) \d{{4}}\b"),  # 8 April 2015
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?=\b|T)"),  # 2015-04-08, 2015-04-08T10:00
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b"),  # 12-10-2020 (day first)
]
# Words that only say the part of the day; dateparser does not need them.
_TIME_OF_DAY = re.compile(r"\b(night|morning|evening|afternoon|early|late|on|at|overnight)\b", re.I)
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = re.compile(rf"\b({'|'.join(_WEEKDAY_NAMES)})\b", re.I)


def _parse(text: str, base: datetime, order: str = "MDY"):
    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": order,
        "REQUIRE_PARTS": [],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DateDataParser(languages=["en"], settings=settings).get_date_data(text)


# A word that says the date after it is the article's, where a dateline or byline has
# it: at the start of its line or after a separator ("Published 8 April 2015", "PTI |
# Updated: 12-10-2020", "Posted by NOW on"), or after "this article was" (at most three
# words between). Inside a sentence ("a video posted on", "a letter dated") it does not.
_PUBLICATION_WORDS = re.compile(
    r"(?:^|[|·•—–]|\b(?:article|story|report|page)\s+(?:was\s+)?(?:first\s+)?)\W*(?:last\s+)?"
    r"(?:published|updated|posted|created|dated|modified|issued)\b\W*(?:\w+\W+){0,3}$",
    re.I,
)
# A word that makes the date after it an event's in a sentence: "took effect on August 3,
# 2023", "at noon on Saturday, May 17, 2025", "a letter dated May 17, 2025".
_GOVERNING = re.compile(
    r"\b(?:on|since|until|till|from|of|in|before|after|by|between|and|to|through|during|dated|posted|"
    rf"published|signed)\s*,?\s*(?:(?:{'|'.join(_WEEKDAY_NAMES)}),?\s*)?$",
    re.I,
)
_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]*")
_SENTENCE_WORDS = 4  # lower-case words before a date that make its line a sentence


def _is_dateline(head: str, start: int) -> bool:
    """Whether the date starting at head[start] can be the article's own date. Yes after
    a publication word where a dateline has one. No inside a sentence: four lower-case
    words before it on its line (after its last "|" or dash: a byline's "staff writers |"
    is no sentence), or a governing word with two before that ("took effect on"); so
    "By Jane Doe on March 3, 2024" and "WASHINGTON, March 3, 2024 (AP)" are datelines."""
    before = head[head.rfind("\n", 0, start) + 1 : start]
    if _PUBLICATION_WORDS.search(before):
        return True
    clause = re.split(r"[|·•—–]", before)[-1]
    if len(_LOWER_WORD.findall(clause)) >= _SENTENCE_WORDS:
        return False
    governed = _GOVERNING.search(clause)
    return not (governed and len(_LOWER_WORD.findall(clause[: governed.start()])) >= 2)


def detect_dateline(text: str, search_chars: int = 1500) -> str | None:
    """The article's own date as an ISO date: the first full date (with a year) near the
    top that stands where a dateline or byline has it, not inside a sentence
    (`_is_dateline`)."""
    head = text[:search_chars]
    found: list[tuple[int, str, str]] = []
    for index, pattern in enumerate(_DATELINE_PATTERNS):
        for match in pattern.finditer(head):
            if _is_dateline(head, match.start()):
                found.append((match.start(), match.group(0), "DMY" if index == 3 else "MDY"))
    for _, words, order in sorted(found):
        exact = _exact_date(words)
        if exact is not None:
            return exact
        data = _parse(words, datetime(2000, 1, 1), order)
        if data.date_obj is not None:
            return data.date_obj.date().isoformat()
    return None


_EXACT_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%d-%m-%Y")


def _exact_date(words: str) -> str | None:
    """The common dateline forms read with strptime, a hundred times faster than
    dateparser (which reads the rest: "Sept. 4, 2022")."""
    cleaned = re.sub(r"[/.](?=\d)", "-", words.replace(".,", ",").replace(". ", " "))
    for fmt in _EXACT_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


_CALENDAR = re.compile(rf"\b(?:{_MONTHS})\b|\b(?:19|20)\d{{2}}\b|\d{{1,2}}[/.-]\d{{1,2}}", re.I)
_CALENDAR_PHRASE = re.compile(  # case-sensitive: "May" the month, not "may" the verb
    rf"\b(?:{_MONTHS})\.? \d{{1,2}}(?:, \d{{4}})?\b"
    rf"|\b\d{{1,2}} (?:{_MONTHS})(?: \d{{4}})?\b"
    rf"|\b(?:{_MONTHS})(?: \d{{4}})?\b"
    r"|\b(?i:last|this) (?i:week|month|year)\b"
)
_TODAY = re.compile(r"\b(today|tonight|this (morning|afternoon|evening))\b", re.I)
_YESTERDAY = re.compile(r"\b(yesterday|last night)\b", re.I)


def _relative_day(words: str, article_date: str | None) -> str | None:
    """A day named relative to the article's date: 'today', 'yesterday', or a weekday
    ('on Saturday', 'by Tuesday evening', 'at 00:00 on Sunday'), which is the most
    recent such day on or before the article's date, so "on Saturday" in an article
    published on a Saturday is that very day ("last Saturday" then is a week earlier).
    None when the words are not of that form; '' when they are but there is no date."""
    if _CALENDAR.search(words):
        return None  # "Saturday, Dec. 21": the calendar date decides
    weekday = _WEEKDAYS.search(words)
    if not (weekday or _TODAY.search(words) or _YESTERDAY.search(words)):
        return None
    if not article_date or re.search(r"\b(next|coming|following)\b", words, re.I):
        return ""  # a future day is not an event date; never invent one
    published = date.fromisoformat(article_date[:10])
    if weekday:
        target = _WEEKDAY_NAMES.index(weekday.group(1).lower())
        back = (published.weekday() - target) % 7
        if back == 0 and re.search(rf"\blast\s+{weekday.group(1)}", words, re.I):
            back = 7
        return (published - timedelta(days=back)).isoformat()
    return (published - timedelta(days=1 if _YESTERDAY.search(words) else 0)).isoformat()


def resolve_event_date(words: str | None, article_date: str | None) -> ResolvedDate:
    """Resolve the words that date an event, keeping their precision."""
    if not words or not words.strip():
        return ResolvedDate(text=None, date=None, precision="unknown")
    cleaned = re.sub(r"\s+", " ", _TIME_OF_DAY.sub(" ", words)).strip(" ,.")
    unknown = ResolvedDate(text=words, date=None, precision="unknown")
    relative = _relative_day(cleaned, article_date)
    if relative is not None:
        return ResolvedDate(text=words, date=relative, precision="day") if relative else unknown
    if not cleaned:
        return unknown
    base_a, base_b = datetime(2001, 6, 15, 12), datetime(2011, 2, 9, 12)
    first, second = _parse(cleaned, base_a), _parse(cleaned, base_b)
    if first.date_obj is None:
        # "running from July 5 to July 19", "before the end of January": the first
        # calendar phrase in the words dates the event.
        phrase = _CALENDAR_PHRASE.search(cleaned)
        if phrase and phrase.group(0) != cleaned:
            found = resolve_event_date(phrase.group(0), article_date)
            return ResolvedDate(text=words, date=found.date, precision=found.precision)
        return unknown
    # Relative when the base changes the answer, at the precision the words give.
    digits = {"year": 4, "month": 7}.get(first.period, 10)
    relative = first.date_obj.isoformat()[:digits] != second.date_obj.isoformat()[:digits]
    if relative:
        if not article_date:
            return unknown
        data = _parse(cleaned, datetime.fromisoformat(article_date).replace(hour=12))
        if data.date_obj is None:
            return unknown
        # "last Friday" said on a Friday means the Friday before, which dateparser gives.
        resolved = data.date_obj.date()
        if resolved > date.fromisoformat(article_date):
            return unknown
    else:
        data, resolved = first, first.date_obj.date()
    precision = data.period if data.period in ("day", "week", "month", "year") else "day"
    if re.search(r"\bweek\b", cleaned, re.I):
        precision = "week"
    iso = resolved.isoformat()
    iso = {"month": iso[:7], "year": iso[:4]}.get(precision, iso)
    return ResolvedDate(text=words, date=iso, precision=precision)
