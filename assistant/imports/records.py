"""What readers produce: records, one-line problems, and the error for a file that cannot be read.

Kept apart from the readers so every format's module (``readers``, ``feeds``)
and the file reading (``files``) share them without importing each other.

>>> one_line("broken\\nJSON: " + "x" * 300, limit=20)
'broken JSON: xxxxxx…'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..words.worded import Worded


class BadFile(ValueError):
    """The whole file cannot be read; ``reason`` says why: a catalogue key (``Worded``: ``files.*``), whose
    English text is the message, or a text another importer gives."""

    def __init__(self, reason: str | Worded):
        super().__init__(str(reason))
        self.reason = reason


@dataclass
class Record:
    fields: dict
    where: str  # "file.csv:12" (or "file.csv:12-14" for a row over several lines), used in messages and the log
    single: bool = False  # the file is one item (Markdown/HTML): its name can serve as the id
    default_kind: str = "article"  # feeds default to news
    format: str = ""  # "csv", "jsonl", "markdown", "html", "feed"


@dataclass
class Problem:
    where: str
    reason: str | Worded  # a catalogue key (``files.*``, ``errors.*``) or a text another importer gives


@dataclass
class FileRead:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters, printable and encodable (for messages and logs)."""
    text = " ".join(str(text).split())
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"
