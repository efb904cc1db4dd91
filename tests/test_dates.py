"""Datelines and event dates (extractor/grounding/dates.py): resolve relative words against the
article date, keep the precision, never invent a date."""

from __future__ import annotations

from datetime import date

import pytest

from extractor.grounding.dates import detect_dateline, resolve_event_date

# --- datelines --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ("000", "2015-04-08"),  # "April 8, 2015"
        ("001", None),  # only "on Friday" and "On November 8"
        ("002", None),
        ("003", None),  # "October 16" and "Updated at 5:32 pm", no year
        ("004", "2020-10-12"),  # "12-10-2020 03:38 IST", day first
    ],
)
def test_dateline_of_each_seed(seed, expected, seed_text):
    assert detect_dateline(seed_text(seed)) == expected


def test_day_first_numeric_dateline_is_not_read_month_first():
    # 12-10-2020 would be December 10 if read month first.
    assert detect_dateline("PTI | Baghdad | Updated: 12-10-2020 03:38 IST") == "2020-10-12"
    assert detect_dateline("Dated 03/04/2015 in Erbil") == "2015-04-03"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NOW.\nApril 8, 2015\n\nBEIRUT \u2013 ...", "2015-04-08"),
        ("Published 8 April 2015 by NOW.", "2015-04-08"),
        ("2015-04-08 | Erbil", "2015-04-08"),
        ("Nov. 24, 2017 \u2013 Hasaka", "2017-11-24"),
        ("Sept. 3, 2019", "2019-09-03"),
    ],
)
def test_dateline_formats(text, expected):
    assert detect_dateline(text) == expected


def test_first_dateline_near_the_top_wins():
    text = "Updated 8 April 2015\n\nThe offensive began on March 2, 2015 in Tikrit."
    assert detect_dateline(text) == "2015-04-08"


def test_day_and_month_without_year_is_not_a_dateline():
    assert detect_dateline("On November 8, the SDF took Markada town, sources said on Friday.") is None


def test_date_far_below_the_top_is_not_a_dateline():
    text = "A long article without a dateline. " * 60 + "It recalled the truce of April 8, 2015."
    assert len(text) > 1500
    assert detect_dateline(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WASHINGTON, March 3, 2024 (AP) \u2014 The army said ...", "2024-03-03"),
        ("By Jane Doe | 3 March 2024, 10:42\n\nThe army said ...", "2024-03-03"),
        ("Updated on 4 May 2019\n\nThe truce that took effect on June 2, 2018 held.", "2019-05-04"),
        ("Posted by NOW on April 8, 2015", "2015-04-08"),
        # An undated article: the dates its sentences govern are events', not its own.
        ("No dateline here.\n\nThe truce that took effect on June 2, 2021 held, officials said.", None),
        ("Talks resumed after the deal signed in Doha on Tuesday, March 5, 2019, a mediator said.", None),
        ("Both sides invoked the ceasefire of 1 May 2019 and the accord of 2020-02-29.", None),
        ("A video posted to social media on May 17, 2025 showed the front line.", None),
        ("An undated page.\n\nIn a letter dated May 17, 2025, the envoy asked for talks.", None),
        # Bylines and metadata lines are no sentences.
        ("By Jane Doe on March 3, 2024\n\nThe army said ...", "2024-03-03"),
        ("By Reuters Staff | On March 3, 2024", "2024-03-03"),
        ("Modified on 28 November 2024", "2024-11-28"),
        ("Posted in Middle East News on March 3, 2024", "2024-03-03"),
        ("By Jane Doe and John Roe, staff writers | March 3, 2024", "2024-03-03"),
        ("This article was first published on 3 March 2024 and the truce of 1 May 2019 ...", "2024-03-03"),
    ],
)
def test_a_date_a_sentence_governs_is_not_the_articles_date(text, expected):
    assert detect_dateline(text) == expected


def test_iso_timestamp_dateline_is_detected():
    assert detect_dateline("Posted: 2015-04-08T10:00:00Z\n\nBEIRUT \u2013 ...") == "2015-04-08"


# --- event dates --------------------------------------------------------------------


def test_on_friday_resolves_to_the_friday_before_a_wednesday_article():
    assert date(2015, 4, 8).strftime("%A") == "Wednesday"
    result = resolve_event_date("on Friday", "2015-04-08")

    assert result.date == "2015-04-03"
    assert result.precision == "day"
    assert result.text == "on Friday"  # the words are kept as written


def test_thursday_night_resolves_to_the_previous_thursday():
    result = resolve_event_date("Thursday night", "2015-04-08")

    assert result.date == "2015-04-02"
    assert result.precision == "day"
    assert result.text == "Thursday night"


def test_on_saturday_against_seed_004_date():
    result = resolve_event_date("On Saturday", "2020-10-12")  # a Monday

    assert result.date == "2020-10-10"
    assert result.precision == "day"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Sunday morning", "2020-10-11"),
        ("early Sunday", "2020-10-11"),
        ("yesterday", "2020-10-11"),
        ("two days ago", "2020-10-10"),
        ("last Monday", "2020-10-05"),
    ],
)
def test_other_relative_day_expressions(words, expected):
    result = resolve_event_date(words, "2020-10-12")
    assert (result.date, result.precision) == (expected, "day")


def test_a_weekday_named_in_an_article_from_that_weekday_is_that_day():
    # 2020-10-12 is a Monday: news style says "on Monday" for the day of publication.
    assert resolve_event_date("on Monday", "2020-10-12").date == "2020-10-12"
    assert resolve_event_date("late on Monday", "2020-10-12").date == "2020-10-12"
    assert resolve_event_date("last Monday", "2020-10-12").date == "2020-10-05"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("at 9 a.m. Moscow time (0600 GMT) on Tuesday", "2022-09-13"),
        ("By Tuesday evening", "2022-09-13"),
        ("at 00:00 local time on Sunday (2200 GMT on Saturday)", "2022-09-11"),
        ("As of today", "2022-09-14"),
    ],
)
def test_a_weekday_inside_longer_words_is_resolved_against_the_article_date(words, expected):
    # 2022-09-14 is a Wednesday.
    assert resolve_event_date(words, "2022-09-14").date == expected


def test_a_weekday_without_an_article_date_stays_unknown():
    assert resolve_event_date("on Saturday", None).precision == "unknown"


def test_last_week_has_week_precision():
    result = resolve_event_date("last week", "2020-10-12")

    assert result.precision == "week"
    assert result.date is not None
    # Some day in the seven days before the Monday article, not the article's own week.
    assert date(2020, 10, 5) <= date.fromisoformat(result.date) <= date(2020, 10, 11)


@pytest.mark.parametrize(
    ("words", "expected", "precision"),
    [
        ("agreed in Kunming last week", "2020-10-05", "week"),
        ("signed last month in Doha", "2020-09", "month"),
        ("signed in Pretoria on Nov. 2", "2019-11-02", "day"),
    ],
)
def test_a_start_dated_inside_longer_words(words, expected, precision):
    # truce_began copies the words around the date ("signed in Pretoria on Nov. 2").
    result = resolve_event_date(words, "2020-10-12")
    assert (result.date, result.precision) == (expected, precision)


def test_in_january_has_month_precision():
    result = resolve_event_date("in January", "2020-10-12")

    assert result.date == "2020-01"
    assert result.precision == "month"


def test_month_later_in_the_year_than_the_article_is_last_years():
    # "in December" in an October 2020 article must be December 2019.
    result = resolve_event_date("in December", "2020-10-12")
    assert (result.date, result.precision) == ("2019-12", "month")


def test_year_words_have_year_precision():
    assert resolve_event_date("last year", "2020-10-12").model_dump() == {
        "text": "last year",
        "date": "2019",
        "precision": "year",
    }
    assert resolve_event_date("in 2019", "2020-10-12").date == "2019"


def test_absolute_date_needs_no_article_date():
    result = resolve_event_date("on 16 October 2017", None)
    assert (result.date, result.precision) == ("2017-10-16", "day")


def test_day_and_month_resolve_against_the_article_year():
    result = resolve_event_date("On October 16", "2017-10-20")
    assert (result.date, result.precision) == ("2017-10-16", "day")


@pytest.mark.parametrize("words", ["on Friday", "Thursday night", "last week", "in January", "yesterday"])
def test_relative_words_without_article_date_stay_unknown(words):
    result = resolve_event_date(words, None)

    assert result.date is None
    assert result.precision == "unknown"
    assert result.text == words


def test_day_and_month_without_year_or_article_date_is_unknown():
    # Seed 001: "On November 8, the SDF took Markada town" and the article has no dateline.
    result = resolve_event_date("On November 8", None)

    assert result.date is None
    assert result.precision == "unknown"
    assert result.text == "On November 8"


@pytest.mark.parametrize("words", [None, "", "   "])
def test_no_words_is_unknown(words):
    result = resolve_event_date(words, "2020-10-12")
    assert result.model_dump() == {"text": None, "date": None, "precision": "unknown"}


@pytest.mark.parametrize("words", ["recently", "in the coming days", "soon"])
def test_vague_words_stay_unknown_but_keep_their_text(words):
    result = resolve_event_date(words, "2020-10-12")
    assert result.date is None
    assert result.precision == "unknown"
    assert result.text == words


@pytest.mark.parametrize(
    "words",
    [
        "on Friday",
        "Thursday night",
        "On Saturday",
        "on Monday",
        "last week",
        "this week",
        "in January",
        "in October",
        "in November",
        "in December",
        "on October 20",
        "October 20",
        "tomorrow",
        "next week",
        "next Friday",
        "yesterday",
        "last month",
    ],
)
@pytest.mark.parametrize("article_date", ["2020-10-12", "2015-04-08"])
def test_never_a_date_after_the_article_date(words, article_date):
    result = resolve_event_date(words, article_date)

    if result.date is not None:
        # Compare at the precision given: "2020-10" <= "2020-10", "2019-12" <= "2020-10".
        assert result.date <= article_date[: len(result.date)]
    else:
        assert result.precision == "unknown"


@pytest.mark.parametrize("words", ["tomorrow", "next week", "next Friday"])
def test_future_words_are_not_turned_into_a_past_date(words):
    assert resolve_event_date(words, "2020-10-12").date is None


@pytest.mark.parametrize(("words", "expected"), [("October 2017", "2017-10"), ("in 2019", "2019")])
def test_month_or_year_with_its_year_needs_no_article_date(words, expected):
    assert resolve_event_date(words, None).date == expected


@pytest.mark.parametrize(
    ("words", "expected", "precision"),
    [
        ("running from July 5 to July 19", "2024-07-05", "day"),
        ("before the end of January", "2024-01", "month"),
    ],
)
def test_the_first_calendar_phrase_in_longer_words_dates_the_event(words, expected, precision):
    result = resolve_event_date(words, "2024-07-15" if "July" in words else "2024-01-15")
    assert (result.date, result.precision) == (expected, precision)


def test_may_the_verb_is_not_a_month():
    assert resolve_event_date("the talks may resume", "2020-01-01").precision == "unknown"
