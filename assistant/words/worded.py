"""Errors that carry a catalogue key and its values instead of an English sentence.

The domain raises ``Worded("errors.campaign_name_empty")``; ``str()`` of it is the English text (logs, the
command line, ``pytest.raises(match=...)``), and ``message(lang)`` the text in the reader's language, which
the interface shows (``assistant.ui.i18n.error_text``). A value may itself be a ``Worded`` (a policy
error nested under the rule it is about): it is worded in the same language.

    >>> error = Worded("errors.at", where="max_hashtags.limit", problem=Worded("errors.whole_number"))
    >>> str(error), error.message("fr")
    ('max_hashtags.limit: expected a whole number ≥ 0', 'max_hashtags.limit : il faut un nombre entier positif ou nul')
"""

from __future__ import annotations

from .catalogue import translate


class Worded(ValueError):
    """A refusal worded by the catalogue: ``key`` (``errors.*``) and the ``values`` its text names."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return translate(lang, self.key, **{name: value.message(lang) if isinstance(value, Worded) else value
                                            for name, value in self.values.items()})
