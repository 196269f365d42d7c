"""Makes an empty folder for each package pyproject.toml lists (where setuptools looks for it), so the
image's dependency layer builds from pyproject.toml alone and a new subpackage needs no Dockerfile edit."""

import pathlib
import tomllib

with open("pyproject.toml", "rb") as file:
    setuptools = tomllib.load(file)["tool"]["setuptools"]
mapped = setuptools.get("package-dir", {})
for package in setuptools["packages"]:
    parts = package.split(".")
    # The longest mapped parent decides the folder, as in setuptools: a.b.c under "a.b" = "x" is x/c.
    for cut in range(len(parts), 0, -1):
        parent = ".".join(parts[:cut])
        if parent in mapped:
            folder = pathlib.Path(mapped[parent], *parts[cut:])
            break
    else:
        folder = pathlib.Path(*parts)
    folder.mkdir(parents=True, exist_ok=True)
