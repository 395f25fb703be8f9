"""Package layout: the repository keeps ``notebooks/`` and ``data/samples/`` at the top (DESIGN), and the wheel
ships them inside the package as ``kubesec_nb._notebooks`` and ``kubesec_nb._samples`` (read with
``importlib.resources``, see ``kubesec_nb/resources.py``). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DATA_PACKAGES = {"kubesec_nb._notebooks": "notebooks", "kubesec_nb._samples": "data/samples"}


class BuildPy(build_py):  # type: ignore[misc]
    """Ship only the data of the mapped folders (the sample generator's scripts stay in the repository)."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        found = list(super().find_package_modules(package, package_dir))
        return [m for m in found if m[1] == "__init__"] if package in DATA_PACKAGES else found


setup(
    packages=[*find_packages(include=["kubesec_nb", "kubesec_nb.*"]), *DATA_PACKAGES],
    package_dir=DATA_PACKAGES,
    package_data={"kubesec_nb": ["py.typed"], "kubesec_nb._notebooks": ["*.ipynb"],
                  "kubesec_nb._samples": ["*.json.gz"]},
    cmdclass={"build_py": BuildPy},
)
