"""Long articles in pieces: paragraphs → the relevant ones with their neighbours → windows.

An article longer than `window_chars` (12,000 by default) is not sent whole. It is cut
into paragraphs (blank lines; single line breaks when it has none; sentence ends inside
a paragraph longer than a window), and with the relevance filter only the paragraphs
that speak of a truce (`relevance.speaks_of_truce`) are kept, each with the paragraph
before and after it, because a speaker is often named in one paragraph and quoted in
the next. The kept paragraphs are packed in article order into windows of at most
`window_chars`; a window ends on a paragraph boundary, and when a run of paragraphs is
split between two windows the next one starts again with the last paragraph of the
previous one (one paragraph of overlap). Where paragraphs were left out, the window's
text says `[...]`. Without the filter (`--no-filter`) every paragraph is kept, so the
windows cover the whole article, overlapping by one paragraph.

Every quote a window yields is aligned against the whole article, so offsets always
index into the article; claims found in two windows (the overlap) are kept once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.extraction.relevance import speaks_of_truce

DEFAULT_WINDOW_CHARS = 12_000
CONTEXT_PARAGRAPHS = 1  # kept on each side of a relevant paragraph
GAP = "\n\n[...]\n\n"
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


@dataclass(frozen=True)
class Window:
    """Paragraph spans (start, end offsets into the article) sent together in one call."""

    spans: tuple[tuple[int, int], ...]

    def text(self, article_text: str) -> str:
        pieces: list[str] = []
        for index, (start, end) in enumerate(self.spans):
            if index and start > self.spans[index - 1][1] and article_text[self.spans[index - 1][1] : start].strip():
                pieces.append(GAP)
            elif index:
                pieces.append(article_text[self.spans[index - 1][1] : start])
            pieces.append(article_text[start:end])
        return "".join(pieces)

    @property
    def chars(self) -> int:
        return sum(end - start for start, end in self.spans)


def _split(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for match in separator.finditer(text, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end and text[cursor:end].strip():
        spans.append((cursor, end))
    return spans


def _pieces_of(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """A paragraph longer than a window, cut at sentence ends (or hard, as a last resort)."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    last_end = None
    for sentence_start, sentence_end in _split(text, start, end, _SENTENCE_END) + [(end, end)]:
        if sentence_end - piece_start > limit and last_end is not None and last_end > piece_start:
            pieces.append((piece_start, last_end))
            piece_start = sentence_start
        while sentence_end - piece_start > limit:  # one sentence longer than a window
            pieces.append((piece_start, piece_start + limit))
            piece_start += limit
        last_end = sentence_end
    if piece_start < end:
        pieces.append((piece_start, end))
    return [p for p in pieces if text[p[0] : p[1]].strip()]


def paragraphs(text: str, limit: int = DEFAULT_WINDOW_CHARS) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: blank lines separate them, or single line breaks in a
    text that has no blank line; none is longer than `limit`."""
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else _LINE
    spans = []
    for start, end in _split(text, 0, len(text), separator):
        spans.extend(_pieces_of(text, start, end, limit) if end - start > limit else [(start, end)])
    return spans


def relevant_paragraphs(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Indexes of the paragraphs the filter sends: those that speak of a truce, and the
    paragraph before and after each."""
    relevant = [i for i, (start, end) in enumerate(spans) if speaks_of_truce(text[start:end])]
    around = range(-CONTEXT_PARAGRAPHS, CONTEXT_PARAGRAPHS + 1)
    return sorted({i + d for i in relevant for d in around if 0 <= i + d < len(spans)})


def plan_windows(text: str, window_chars: int = DEFAULT_WINDOW_CHARS, relevant_only: bool = True) -> list[Window]:
    """The windows to send for one article. One window holding the whole text when it fits;
    none when the filter finds no paragraph that speaks of a truce."""
    if len(text) <= window_chars:
        return [Window(((0, len(text)),))]
    spans = paragraphs(text, window_chars)
    kept = relevant_paragraphs(text, spans) if relevant_only else list(range(len(spans)))
    windows: list[Window] = []
    current: list[int] = []
    for index in kept:
        size = sum(spans[i][1] - spans[i][0] for i in current) + spans[index][1] - spans[index][0]
        if current and size > window_chars:
            windows.append(Window(tuple(spans[i] for i in current)))
            # One paragraph of overlap when the run goes on across the cut.
            carry = [current[-1]] if current[-1] == index - 1 else []
            carried = sum(spans[i][1] - spans[i][0] for i in carry) + spans[index][1] - spans[index][0]
            current = carry if carried <= window_chars else []
        current.append(index)
    if current:
        windows.append(Window(tuple(spans[i] for i in current)))
    return windows
