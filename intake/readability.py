"""How easy a page is to read: Flesch reading ease of its rendered text.

Headings, list items and table cells are read as sentences of their own, as a
reader meets them; without that, a bulleted list would count as one endless
sentence and mark plain pages down. As in textstat, a "sentence" of one or two
words (a bullet such as "headache") adds its words but not a sentence, so lists
of single words cannot flatter a page. Syllables are counted from Pyphen's
hyphenation dictionary (en_US, which splits words more often than en_GB: the
stricter of the two).
"""

import re
from html.parser import HTMLParser

import pyphen

GUIDE_TARGET = 70.0
SERVICE_PAGE_TARGET = 60.0
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "div"}
SENTENCE_END = re.compile(r"[.!?:]\s*$")


class _BlockText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._current: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        self._current = []
        if text:
            self.blocks.append(text if SENTENCE_END.search(text) else text + ".")


def plain_text(html: str) -> str:
    """The words of an HTML fragment, one sentence at least per block."""
    parser = _BlockText()
    parser.feed(html)
    parser.close()
    parser._flush()
    return " ".join(parser.blocks)


WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")


def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


def _syllables(word: str) -> int:
    return len(_hyphenator().positions(word.lower())) + 1


def reading_ease(html: str) -> float:
    """Flesch reading ease (about 0 to 100; higher is easier) of an HTML fragment."""
    text = plain_text(html)
    words = WORD.findall(text)
    if not words:
        return 100.0
    sentences = SENTENCE.findall(text)
    counted = max(1, sum(1 for sentence in sentences if len(WORD.findall(sentence)) > 2))
    syllables = sum(_syllables(word) for word in words)
    return round(206.835 - 1.015 * len(words) / counted - 84.6 * syllables / len(words), 1)
