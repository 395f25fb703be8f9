"""Issue 8's crash classes, one minimal input each (tests/fixtures/regressions/, expectations in expect.yaml).

Each must load, assess, save and load again, or fail with one clear line naming the file, the
document and object, and the field; no error quotes a planted canary secret.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesec_nb.errors import KubesecError
from tests.boundary import pipeline
from tests.conftest import FIXTURES, leaked

CORPUS = FIXTURES / "regressions"
EXPECT: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expect.yaml").read_text())


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.name != "expect.yaml"}
    assert files == set(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_regression(name: str, tmp_path: Path) -> None:
    want = EXPECT[name]
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    if want.get("ok"):
        assert pipeline.run(path, want["format"], tmp_path) == "ok"
        return
    with pytest.raises(KubesecError) as err:
        pipeline.load(path, want["format"])
    message = str(err.value)
    assert message.startswith(f"{path}: "), message
    assert re.search(want["error"], message), message
    assert "\n" not in message and len(message) < 400
    assert not leaked(message)
