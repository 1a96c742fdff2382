"""Packaging beyond what pyproject.toml can say: the top-level resources/ folder is installed as
the package ``kac_desktop.resources``, so an editable install, a wheel and a frozen build find the
icons and the font the same way (kac_desktop/resource_files.py)."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["kac_desktop", "kac_desktop.*"]) + ["kac_desktop.resources"],
    package_dir={"kac_desktop.resources": "resources"},
)
