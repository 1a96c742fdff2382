"""The application's own files that are not code (icons, the bundled font, the desktop entry).

This folder is installed as the package ``kac_desktop.resources`` (see setup.py); code reaches
it through :mod:`kac_desktop.resource_files`, never by a path of its own."""
