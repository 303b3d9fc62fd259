"""The repository's own invariants: library exported from the notebooks, notebooks clean, README and HTML docs render."""
import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def _copy_project(dst: Path) -> Path:
    "Copy what nbdev needs (settings, notebooks, library) into `dst`, so checks never touch the working tree."
    for name in ("settings.ini", "setup.py"):
        shutil.copy2(ROOT / name, dst / name)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "checkpoints")
    for name in ("nbs", "deep_sep_priors"):
        shutil.copytree(ROOT / name, dst / name, ignore=ignore)
    return dst


def _differences(a: Path, b: Path, pattern: str) -> list[str]:
    names = {p.relative_to(a) for p in a.rglob(pattern)} | {p.relative_to(b) for p in b.rglob(pattern)}
    names = {n for n in names if "__pycache__" not in n.parts and ".ipynb_checkpoints" not in n.parts}
    return sorted(str(n) for n in names if not ((a / n).exists() and (b / n).exists() and filecmp.cmp(a / n, b / n, shallow=False)))


def _changed_by(tool: str, tmp_path: Path, folder: str, pattern: str) -> list[str]:
    "Files matching `pattern` under `folder` that running nbdev's `tool` on a copy of the project would change."
    copy = _copy_project(tmp_path)
    subprocess.run([_tool(tool)], cwd=copy, check=True, capture_output=True)
    return _differences(ROOT / folder, copy / folder, pattern)


def test_library_matches_notebooks(tmp_path):
    "deep_sep_priors/ is exactly what `nbdev_export` writes from nbs/ (nobody edited the .py by hand)."
    diff = _changed_by("nbdev_export", tmp_path, "deep_sep_priors", "*.py")
    assert not diff, f"run `nbdev_export` and commit: these library files differ from the notebooks' export: {diff}"


def test_notebooks_are_clean(tmp_path):
    "Notebooks carry no execution counts or stray metadata (`nbdev_clean` changes nothing)."
    diff = _changed_by("nbdev_clean", tmp_path, "nbs", "*.ipynb")
    assert not diff, f"run `nbdev_clean` and commit: these notebooks are not clean: {diff}"


@pytest.mark.xdist_group("docs")
def test_readme_matches_index():
    "README.md is what tools/docs.py generates from nbs/index.ipynb."
    res = subprocess.run([sys.executable, "tools/docs.py", "readme", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]


@pytest.mark.xdist_group("docs")
def test_notebooks_render_to_html(tmp_path):
    "Every notebook goes through nbdev's docs processing and renders to HTML (the docs smoke test, no quarto)."
    res = subprocess.run([sys.executable, "tools/docs.py", "html", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    notebooks = sorted(p.stem for p in (ROOT / "nbs").glob("*.ipynb"))
    rendered = sorted(p.stem for p in tmp_path.glob("*.html"))
    assert rendered == notebooks
    for stem in notebooks:
        html = (tmp_path / f"{stem}.html").read_text(encoding="utf-8")
        assert "<html" in html and len(html) > 10_000, f"{stem}.html looks empty"
        title = json.loads((ROOT / "nbs" / f"{stem}.ipynb").read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        assert title in html, f"{stem}.html lacks its title {title!r}"


def test_stored_outputs_have_no_errors():
    "Stored outputs (what the docs show) come from runs that succeeded."
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        errors = [i for i, c in enumerate(cells) for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{nb.name}: cells {errors} have error outputs; rerun the notebook"
