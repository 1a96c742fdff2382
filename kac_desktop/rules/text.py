"""The one text folding behind the duplicate check (``rules.names``) and the search
(``rules.search_keys``): two spellings a person would call the same fold to the same text.

* NFKC folds full-width and half-width forms (``ＡＢＣ（集团）`` → ``abc(集团)``, ``０５９１``
  → ``0591``); letters are lower-cased.
* Whitespace, control and format characters (zero-width spaces pasted from web pages) and
  every punctuation mark are removed (Unicode categories P*, Z*, Cc, Cf); symbols such as
  ``+`` stay, they can tell names apart.

Folding is idempotent: ``fold(fold(x)) == fold(x)``.
"""

from __future__ import annotations

import unicodedata

DROPPED_CATEGORIES = ("P", "Z", "Cc", "Cf")


def fold(text: str) -> str:
    """``text`` folded as the module text says."""
    # Removing a character can leave a combining mark next to a letter it composes with
    # ("T¨" → "t" + U+0308), so normalise again until nothing changes: idempotent.
    while True:
        normal = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).lower())
        folded = "".join(
            char for char in normal if not unicodedata.category(char).startswith(DROPPED_CATEGORIES)
        )
        if folded == text:
            return folded
        text = folded
