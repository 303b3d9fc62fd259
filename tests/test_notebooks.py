"""Run each notebook in nbs/ through nbdev's own test runner, one pytest test (and one fresh process) per notebook."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))


def test_notebooks_found():
    assert len(NOTEBOOKS) >= 5, f"expected the package's notebooks in {ROOT / 'nbs'}, found {NOTEBOOKS}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook(notebook: Path, nb_flags: str):
    # A fresh process per notebook, as in a user's kernel: no torch thread settings or registries leak between
    # notebooks, and the CPU is shared fairly between the xdist workers.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    code = ("import sys; from pathlib import Path; from nbdev.config import get_config; from nbdev.test import test_nb\n"
            "ok, _ = test_nb(Path(sys.argv[1]), skip_flags=get_config().tst_flags.split(), force_flags=sys.argv[2].split(), basepath=sys.argv[3])\n"
            "sys.exit(0 if ok else 1)")
    res = subprocess.run([sys.executable, "-c", code, str(notebook), nb_flags, str(ROOT)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, f"{notebook.name} failed:\n{res.stderr[-8000:]}"
