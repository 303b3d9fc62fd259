"""Run each notebook in nbs/ through nbdev's own test runner, one pytest test per notebook."""
from pathlib import Path

import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))


def test_notebooks_found():
    assert len(NOTEBOOKS) >= 5, f"expected the package's notebooks in {ROOT / 'nbs'}, found {NOTEBOOKS}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook(notebook: Path, nb_flags: str):
    cfg = get_config(path=ROOT)
    passed, _ = run_notebook(notebook, skip_flags=cfg.tst_flags.split(), force_flags=nb_flags.split(), basepath=ROOT)
    assert passed, f"{notebook.name} failed (its traceback is in the captured stderr above)"
