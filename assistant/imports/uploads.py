"""Uploaded files staged on disk under their own names, for the importers that read paths.

The app's uploads (the library's content and people, the marketing page's
engagement exports) go through the same importers as the command line, which
read files. :func:`staged` writes each upload into its own folder of a private
temporary directory, so two uploads with one name never overwrite each other
and a name such as ``..`` or ``../../x.csv`` stays inside the staging folder;
``unstage`` takes the temporary path out of the report's lines again.

    >>> with staged([("a.csv", b"x"), ("a.csv", b"y"), ("..", b"z")]) as (paths, unstage):
    ...     [p.name for p in paths], unstage(f"{paths[1]}: bad row")
    (['a.csv', 'a.csv', 'upload'], 'a.csv: bad row')
"""

from __future__ import annotations

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def staged(files: list[tuple[str, bytes]]) -> Iterator[tuple[list[Path], Callable[[str], str]]]:
    """``(paths, unstage)`` for uploaded ``(name, bytes)`` files, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="porte-voix-upload-") as tmp:
        paths = []
        for number, (name, data) in enumerate(files):
            base = Path(str(name).replace("\\", "/")).name
            folder = Path(tmp) / str(number)
            folder.mkdir()
            path = folder / (base if base not in ("", ".", "..") else "upload")
            path.write_bytes(data)
            paths.append(path)
        staging = re.compile(re.escape(tmp.rstrip("/") + "/") + r"\d+/")
        yield paths, lambda line: staging.sub("", line)
