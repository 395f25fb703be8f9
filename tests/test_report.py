"""The report on every kind of cluster, its exit codes, its failure handling, and the page in a real browser.

Every notebook runs headless (papermill parameters, one kernel) on the other two samples and on
the clusters nobody here wrote (``tests/clusters.py``); the default sample is covered by the
nbval goldens and, with markup planted in names, by the browser test. All runs share one kernel
and each assesses once, so the whole matrix costs about a minute.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

from kubesec_nb import notebook
from kubesec_nb import report as rep
from kubesec_nb.checks import REGISTRY, Check
from kubesec_nb.cli import main
from kubesec_nb.cli.report_cmd import exit_code
from kubesec_nb.report import Failure, Kernel, Report, run_report
from kubesec_nb.snapshot import Snapshot
from tests.browser import CHROMIUM, open_page
from tests.clusters import ANY_CLUSTER, SAMPLES
from tests.conftest import leaked_in_tree

ROOT = Path(__file__).resolve().parent.parent
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'


def markup() -> Snapshot:
    """The default sample plus subjects, an annotation and an image whose text is HTML markup."""
    snap = Snapshot.load(SAMPLES / "eks-shop.json.gz")
    rbac = "rbac.authorization.k8s.io"
    snap.add({"apiVersion": f"{rbac}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "markup-admin"},
              "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "cluster-admin"},
              "subjects": [{"kind": "User", "name": XSS_SCRIPT, "apiGroup": rbac},
                           {"kind": "Group", "name": XSS_IMG, "apiGroup": rbac}]})
    snap.add({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "markup", "namespace": "default",
                                                              "annotations": {"note": XSS_SCRIPT}},
              "spec": {"containers": [{"name": "c", "image": XSS_IMG, "securityContext": {"privileged": True}}]}})
    snap.normalize()
    return snap


INPUTS: dict[str, Callable[[], Snapshot]] = {
    "gke-media": lambda: Snapshot.load(SAMPLES / "gke-media.json.gz"),
    "aks-bank": lambda: Snapshot.load(SAMPLES / "aks-bank.json.gz"),
    **ANY_CLUSTER,
    "markup": markup,
}


class Reports(dict[str, Report]):
    """Reports by input name, made on first use (one kernel for all), so ``-k`` runs only what it needs."""

    def __init__(self, base: Path, kernel: Kernel) -> None:
        super().__init__()
        self.base, self.kernel = base, kernel

    def __missing__(self, name: str) -> Report:
        path = self.base / f"{name}.json.gz"
        INPUTS[name]().save(path)
        self[name] = run_report(path, self.base / name, kernel=self.kernel, timeout=600)
        return self[name]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    with Kernel() as kernel:
        yield Reports(tmp_path_factory.mktemp("reports"), kernel)


@pytest.mark.parametrize("name", INPUTS)
def test_every_notebook_runs_on(name: str, reports: dict[str, Report]) -> None:
    r = reports[name]
    assert r.failures == []
    assert r.errors == [], "a check raised"
    page = r.html.read_text()
    for nb_path in r.notebooks:
        nb = nbformat.read(str(nb_path), as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert not [o for o in outputs if o.get("name") == "stderr"], f"{nb_path.name} wrote to stderr"
        assert f'id="section-{nb_path.stem}"' in page
    assert [p.stem for p in r.notebooks] == [n for n in rep.NOTEBOOKS if n != "05_changes"]
    assert "Traceback" not in page and "<pre>Set " not in page
    assert (r.out_dir / "findings.json").exists() and (r.out_dir / rep.MARKER).exists()
    assert leaked_in_tree(r.out_dir) == {}


def test_report_reads_like_one(reports: dict[str, Report]) -> None:
    page = reports["gke-media"].html.read_text()
    assert "<title>kubesec-nb report: gke-media</title>" in page
    assert page.index("Executive summary") < page.index("Cluster inventory") < page.index("RBAC:")
    assert 'class="ks-toc"' in page and 'href="#sec-00_overview-1"' in page and 'id="sec-00_overview-1"' in page
    assert "rows ×" not in page and "columns</p>" not in page, "pandas size footers"
    assert 'class="dataframe"' not in page, "every table goes through kubesec_nb.display"
    assert 'class="ks-alert' not in page, "a clean run has no failure banner"
    assert "snapshot: str" not in page, "no parameters cell"
    assert "notebook.load" not in page and "import kubesec_nb" not in page, "no code in the report"


def test_queries_with_absent_objects_say_so(tmp_path: Path) -> None:
    out = tmp_path / "r"
    params = ["--param", "src=svc:nowhere/web", "--param", "dst=internet", "--param", "port=80",
              "--param", "can_subject=User:nobody", "--param", "who_namespace=nowhere"]
    assert main(["report", "eks-shop", "-o", str(out), "--notebook", "10_rbac", "--notebook", "20_network",
                 *params]) == 0
    page = (out / "report.html").read_text()
    assert "No answer: no Service nowhere/web in the snapshot" in page
    assert "No answer: no subject User:nobody in the snapshot" in page
    assert "No answer: no namespace 'nowhere' in the snapshot" in page.replace("&#x27;", "'")


def test_fail_on_applies_whichever_notebooks_ran(tmp_path: Path, reports: dict[str, Report],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(reports["gke-media"], "high") == 1 and exit_code(reports["gke-media"], None) == 0
    assert exit_code(reports["empty"], "high") == 0
    out = tmp_path / "rbac-only"
    assert main(["report", "eks-shop", "-o", str(out), "--notebook", "10_rbac", "--fail-on", "high"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"failing findings: \d+ critical, \d+ high, \d+ medium, \d+ low, \d+ info; checks not "
                     r"assessed: \d+; checks in error: 0", err) and "failing findings at or above high" in err
    written = json.loads((out / "findings.json").read_text())["findings"]
    assert {f["check_id"].split("-")[0] for f in written} >= {"RBAC", "NET", "PSS", "WL"}, "every check, not one area"
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["00_overview.ipynb", "10_rbac.ipynb"]


def test_an_audit_log_given_to_the_report_is_read_for_every_notebook(
        tmp_path: Path, reports: Reports, monkeypatch: pytest.MonkeyPatch) -> None:
    """``report --audit-log``: the CLI's findings and the audit notebook read the given log, not the
    snapshot's (absent) attachment, and every notebook finds the report's assessment under its key."""
    reports["empty"]  # the empty cluster's snapshot file, made once for the module
    snapshot, log = reports.base / "empty.json.gz", SAMPLES / "audit-logs" / "eks-shop-cloudwatch.json.gz"
    r = run_report(snapshot, tmp_path / "r", notebooks=["60_audit"], kernel=reports.kernel, audit_logs=[str(log)])
    audit = r.findings[r.findings["check_id"].str.startswith("AUDIT-")]
    assert "fail" in set(audit["status"]) and not audit["message"].str.contains("no audit log").any()
    assert "ServiceAccount:ci:jenkins" in r.html.read_text()
    plain = run_report(snapshot, tmp_path / "plain", notebooks=["60_audit"], kernel=reports.kernel)
    plain_audit = plain.findings[plain.findings["check_id"].str.startswith("AUDIT-")]
    assert set(plain_audit["status"]) == {"not_assessed"} and plain_audit["message"].str.contains("no audit log").all()
    # what a notebook kernel of that run sees: the report's environment, and load() without audit_log
    cached = object()
    key = notebook.cache_key(snapshot.resolve(), {}, [str(log.resolve())])
    monkeypatch.setattr(notebook, "_memo", {key: cached})
    monkeypatch.setenv(notebook.AUDIT_LOG_ENV, str(log.resolve()))
    assert notebook.load(snapshot) is cached


def test_a_failed_section_is_named_at_the_top_and_the_exit_code_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "nb"
    broken.mkdir()
    shutil.copy(rep.notebook_path("00_overview"), broken / "00_overview.ipynb")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    params = nbformat.v4.new_code_cell('snapshot: str = "eks-shop"  # snapshot', metadata={"tags": ["parameters"]})
    nb.cells = [nbformat.v4.new_markdown_cell("# Broken section\n\n## Before"), params,
                nbformat.v4.new_code_cell("1 + 1"),
                nbformat.v4.new_code_cell("from kubesec_nb.errors import OptionError\nraise OptionError('bad value')"),
                nbformat.v4.new_markdown_cell("## After"), nbformat.v4.new_code_cell("2 + 2")]
    nbformat.write(nb, str(broken / "99_broken.ipynb"))
    monkeypatch.setattr(rep, "NOTEBOOK_DIR", broken)
    monkeypatch.setattr(rep, "NOTEBOOKS", ("00_overview", "99_broken"))
    out = tmp_path / "out"
    (out / "old").mkdir(parents=True)
    (out / rep.MARKER).write_text("")  # an earlier report: replaced as a whole
    assert main(["report", "eks-shop", "-o", str(out)]) == 2  # the notebook raised a user error
    page = (out / "report.html").read_text()
    top = page.split('class="ks-toc"')[0]
    assert "This report is incomplete: 1 section(s) failed" in top and "Broken section" in top and "bad value" in top
    assert "This section stopped here: OptionError: bad value" in page and "After" not in page.split("Broken")[-1]
    assert not (out / "old").exists() and not list(tmp_path.glob(".out.*")), "one run per folder, no leftovers"
    assert "section 'Broken section' (99_broken) failed" in capsys.readouterr().err

    def boom(_: object) -> list[object]:
        raise RuntimeError("checker bug")

    monkeypatch.setitem(REGISTRY, "TEST-BOOM", Check("TEST-BOOM", "A check that raises", "high",
                                                     "Inventory and Coverage", "none", "workloads", boom))
    monkeypatch.setattr(rep, "NOTEBOOKS", ("00_overview",))
    assert main(["report", "eks-shop", "-o", str(out)]) == 3  # a check in error: its result is unknown
    top = (out / "report.html").read_text().split('class="ks-toc"')[0]
    assert "1 check(s) failed internally" in top and "TEST-BOOM" in top
    assert Failure("x", "X", 1, "RuntimeError", "boom").user_error is False


def test_a_run_that_cannot_start_leaves_the_previous_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / rep.MARKER).write_text("")
    (out / "report.html").write_text("previous")
    assert main(["report", "eks-shop", "-o", str(out), "--option", "network_profile=bogus"]) == 2
    assert main(["report", "eks-shop", "-o", str(out), "--param", "no_such=1"]) == 2
    assert (out / "report.html").read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep")
    assert main(["report", "eks-shop", "-o", str(tmp_path / "mine")]) == 2
    assert "is not a kubesec-nb report folder" in capsys.readouterr().err
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep"


@pytest.fixture(scope="module")
def chromium() -> str:
    if not CHROMIUM:
        subprocess.run(["make", "-C", str(ROOT), "chromium"], capture_output=True, check=False)
    from tests import browser

    browser.CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser.CHROMIUM:
        pytest.skip("chromium is not installed and `make chromium` (apt-get install chromium) could not install it")
    return browser.CHROMIUM


def test_report_in_a_real_browser(chromium: str, reports: dict[str, Report]) -> None:
    r = reports["markup"]
    with open_page(r.html) as page:
        page.wait_for("document.body.dataset.tables === 'ready'")
        headings = page.evaluate("[...document.querySelectorAll('main h1')].map(h => h.textContent.trim())")
        assert headings[:2] == ["Executive summary", "Cluster inventory"] and len(headings) == len(r.notebooks) + 1
        toc = page.evaluate("[...document.querySelectorAll('.ks-toc a')].map(a => a.getAttribute('href'))")
        assert toc and page.evaluate(f"{json.dumps(toc)}.every(h => document.querySelector(h) !== null)")
        assert page.evaluate("document.images.length") >= 5
        assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 300)"), "charts render"
        assert page.evaluate("document.querySelectorAll('.dt-container').length") > 0, "long tables are interactive"
        assert page.evaluate("window.__xss") is None, "markup in object names was executed"
        text = page.evaluate("document.body.innerText")
        assert XSS_SCRIPT in text and XSS_IMG in text, "markup in names shows as text"
        assert page.console_errors == []
        assert page.external_requests == [], "the report is self-contained"
        (ROOT / "reports").mkdir(exist_ok=True)  # gitignored: a screenshot for a person to look at
        shot = page.screenshot(ROOT / "reports" / "browser-test.png")
    assert shot.stat().st_size > 10_000
