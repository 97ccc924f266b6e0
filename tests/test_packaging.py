"""The distribution ships every package folder and the data files the code loads."""

import tomllib
from pathlib import Path

from tests.conftest import REPO

PROJECT_FOLDERS = ("models", "stream", "config", "clients")


def test_every_package_folder_is_listed_in_pyproject():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    mapped = {name: Path(folder) for name, folder in setuptools["package-dir"].items()}
    on_disk = set()
    for name, folder in mapped.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder)
            on_disk.add(".".join((name, *relative.parts)))
    assert {f"skillstream.{folder}" for folder in PROJECT_FOLDERS} == set(mapped)
    assert listed == on_disk
