"""Demonstration data: a branch network, users, customers and their history, written in bulk
so that every page has something to show.  ``build.build_demo`` is the entry point; the other
modules each make one kind of row (``visits``, ``requests``, ``revenue``), hold the plain word
lists (``names``), size the history (``volumes``) or write it fast (``write``).

This package sits above the use cases: it calls services (users, audit, assessments) to stay
consistent with what a real user would produce, and no service imports it.
"""
