"""Customer names normalised for the duplicate check (防止多头公关、重复开发, docs/DOMAIN.md §2).

Two files are "the same customer by name" when ``normalise_name`` gives the same text for
both.  The normalised form is only compared, never shown.

Decisions:

* The folding is search's too (``rules.text.fold``): NFKC folds full-width and half-width forms (``ＡＢＣ（集团）`` → ``ABC(集团)``); latin
  letters are lower-cased.
* Whitespace, control and format characters (zero-width spaces pasted from web pages) and
  all punctuation are removed.  Punctuation includes every kind of bracket — the brackets
  go, their contents stay: ``福州华闽（集团）有限公司`` → ``福州华闽集团有限公司`` — and the
  separators ``· , . 、 - & '``.  Symbols such as ``+`` stay: they can tell names apart.
* Legal-form suffixes are removed from the end, repeatedly and longest first:
  ``LEGAL_SUFFIXES``.  So ``福州华闽集团有限公司``, ``福州华闽（集团）有限公司``,
  ``福州 华闽 有限责任公司`` and ``福州华闽集团`` all become ``福州华闽``.  A suffix is never
  removed when that would leave nothing (``集团公司`` becomes ``集团`` and ``有限公司``
  becomes ``有限``, never empty).
* ``分公司`` (a branch) is not a legal-form suffix: a branch is a customer of its own, so
  ``福州华闽分公司`` stays apart from ``福州华闽公司``.  Branch names usually repeat the
  parent's full legal name, which people often shorten: in a name ending in ``分公司`` the
  legal forms *inside* the name (``有限公司`` / ``有限责任公司`` / ``股份有限公司`` followed by
  more text) are removed too, so ``中国邮政集团有限公司福州市分公司`` and
  ``中国邮政集团福州市分公司`` match.  ``集团`` inside a name is kept: it is often part of the
  parent's trade name, and dropping it would join ``中国邮政福州市分公司`` (a different
  historical entity name) with it as well.
* English legal forms (``Co., Ltd.``) are not removed; such names are rare among the
  customers of a county branch and a false match would refuse a legitimate registration.
"""

from __future__ import annotations

from kac_desktop.rules.text import fold

LEGAL_SUFFIXES: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "集团",
    "股份",
    "公司",
)
"""Removed from the end of a name, longest first (the tuple is kept in that order)."""

BRANCH_SUFFIX = "分公司"
_INNER_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司")


def _strip_inner_legal_forms(name: str) -> str:
    if not name.endswith(BRANCH_SUFFIX):
        return name
    head = name[: -len(BRANCH_SUFFIX)]
    for form in _INNER_LEGAL_FORMS:
        while True:
            index = head.find(form)
            # only inside: something of the branch's own name must follow the legal form
            if index < 0 or index + len(form) >= len(head):
                break
            head = head[:index] + head[index + len(form) :]
    return head + BRANCH_SUFFIX


def _strip_legal_suffixes(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if not name.endswith(suffix) or len(name) == len(suffix):
                continue
            if suffix == "公司" and name.endswith(BRANCH_SUFFIX):
                continue
            name = name[: -len(suffix)]
            changed = True
            break
    return name


def normalise_name(name: str) -> str:
    """The form of a customer name compared by the duplicate check (see the module text).

    Idempotent: ``normalise_name(normalise_name(x)) == normalise_name(x)``.
    """
    result = fold(name or "")
    while True:
        shorter = fold(_strip_legal_suffixes(_strip_inner_legal_forms(result)))
        if shorter == result:
            return result
        result = shorter
