"""Keys for finding and sorting customers by name, pinyin and pinyin initials: a search by
name also answers pinyin initials (zgyz → 中国邮政…) and pinyin, since that is how managers
type on a keyboard without switching the input method.

The service stores ``search_text(...)`` in a column and filters with
``search_text LIKE '%' || normalise_query(q) || '%'``.  Both sides are *folded* the same way
(``rules.text.fold``, which the duplicate check of names uses too):

* NFKC (full-width ``０５９１`` → ``0591``) and lower case;
* whitespace, control characters and all punctuation removed — spaces, hyphens, brackets,
  dots, ``@``.  So the phone ``0591-8888 1234`` is kept as ``059188881234`` and is found by
  ``88881234``, ``0591 8888`` or ``0591-88881234`` alike; ``华闽集团`` finds
  ``华闽（集团）有限公司``; ``zhong guo`` finds 中国.  A side effect that the service relies on:
  a normalised query never contains the LIKE wildcards ``%`` and ``_`` (punctuation), nor the
  part separator.

The parts of the search text (name, pinyin, initials, each extra) each end with
``SEPARATOR`` (U+001F, a control character a folded query cannot contain), so a query never
matches across two parts (the end of a name and the start of a phone number).

Pinyin comes from pypinyin without tones, the most common reading of a polyphonic
character in its phrase (重庆 → chongqing, 银行 → yinhang); ü is written ``v`` as on a
keyboard (绿 → lv).  Latin letters and digits in a name are kept whole in the pinyin and the
initials (``中国邮政EMS`` → ``zhongguoyouzhengems`` / ``zgyzems``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from kac_desktop.rules.text import fold

SEPARATOR = "\x1f"


def normalise_query(q: str) -> str:
    """A user's search text folded like ``search_text`` (see the module text): NFKC, lower
    case, without whitespace and punctuation.  ``""`` means "no filter"."""
    return fold(q or "")


_NOT_HANZI = "\x00"


def _mark_not_hanzi(text: str) -> Any:
    """pypinyin's callback for a run that is not Chinese: one item, marked.  (pypinyin's
    hints say the callback returns a str; it takes a list of items as well, which keeps the
    run whole.)"""
    return [_NOT_HANZI + text]


def _pinyin_and_initials(folded: str) -> tuple[str, str]:
    """Full pinyin and initials from one pypinyin pass (it is the slow part of a save).
    Runs that are not Chinese (latin, digits) come back marked and stay whole in both."""
    # imported here: loading pypinyin's dictionaries costs ~0.3 s, which a start of the
    # window (reading, not saving) does not need
    from pypinyin import Style, lazy_pinyin

    items = lazy_pinyin(folded, style=Style.NORMAL, errors=_mark_not_hanzi)
    full: list[str] = []
    initials: list[str] = []
    for item in items:
        if item.startswith(_NOT_HANZI):
            full.append(item[1:])
            initials.append(item[1:])
        elif item:
            full.append(item)
            initials.append(item[0])
    return "".join(full).lower(), "".join(initials).lower()


def search_text(name: str, *extra: str) -> str:
    """The lower-case text searched with LIKE: the folded name, its pinyin, its pinyin
    initials and the folded ``extra`` strings (credit code, contact names, phone numbers…),
    each followed by ``SEPARATOR``.  Empty extras are left out.  The separator after the last
    part too makes every two characters of a part the start of a trigram (migration 0003)."""
    folded = fold(name or "")
    parts = [folded, *_pinyin_and_initials(folded)]
    parts.extend(fold(text or "") for text in extra)
    return "".join(part + SEPARATOR for part in parts if part)


def name_sort_key(name: str) -> str:
    """A key that sorts names in pinyin order (ORDER BY): the toneless syllables separated by
    single spaces, lower case, punctuation dropped; latin and digits are kept (lower-cased), so
    ``3M中国`` sorts before ``阿里`` (``3m zhong guo`` < ``a li``).  Names with the same
    pinyin get the same key; the service breaks ties with the name itself."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = "".join(
        " " if unicodedata.category(char).startswith(("P", "Cc", "Cf")) else char for char in text
    )
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text, style=Style.NORMAL)
    return " ".join(" ".join(syllables).split())
