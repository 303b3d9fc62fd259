"""Check in a real browser that the explorers of `deep_sep_priors.widgets` render: JupyterLab + headless Chromium + Playwright.

    bash tools/install_browser.sh                       # once: Debian's chromium, JupyterLab and Playwright from PyPI
    python3 tools/browser_check.py                      # screenshot in /tmp/browser_check.png; exit 0 if all rendered
    python3 tools/browser_check.py --out shot.png --timeout 600 --notebook nbs/29_widgets.ipynb

What it does:
1. writes a small notebook (both explorers on tiny settings: two toy mixes of 4096 samples, a 5-level sampler) into a
   temporary folder, or copies `--notebook` there without its `nbdev_export()` cell (the original is never touched);
2. starts JupyterLab on 127.0.0.1 at a random free port with a random token, its settings and workspaces in that
   folder (no news fetching, no windowed notebook, so every output is in the page);
3. opens the notebook in headless Chromium (`/usr/bin/chromium`, Debian's, driven by Playwright: no browser download),
   runs all cells from the Run menu and waits until every cell has run and the widgets are there: sliders, dropdowns,
   the plot images (loaded, non-empty) and the `<audio>` players (each having read its wav: a duration > 0);
4. on the built-in notebook, also picks another method in the explorer's menu and waits for the status line to
   follow: the round trip browser -> kernel callback -> browser;
5. saves a screenshot (`--out`) and exits 0 if everything rendered, 1 if a widget, player or the round trip is
   missing (the screenshot is still written), 2 if JupyterLab or the browser could not be started.

Not part of `pytest`: it needs a browser and ~200 MB of packages that nothing else uses. Loopback only.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--autoplay-policy=user-gesture-required"]
# what the built-in notebook shows: the separation explorer's mix, 4 estimate, 4 truth and remix players, step and 4 gain sliders,
# mix and method menus and its plot; the prior explorer's sample and clip players, sigma slider, prior menu, plot and bar chart
EXPECT = {"audio": 12, ".widget-slider": 6, ".widget-dropdown": 3, ".widget-image img": 3}
SETTINGS = {  # JupyterLab user settings for this run only
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def check_notebook() -> nbformat.NotebookNode:
    "The notebook the check runs by default: both explorers on tiny settings."
    return new_notebook(cells=[
        new_markdown_cell("# Browser check of `deep_sep_priors.widgets`"),
        new_code_cell("import torch\nfrom deep_sep_priors.separate.langevin import LangevinConfig\n"
                      "from deep_sep_priors.widgets import PriorExplorer, SeparationExplorer\ntorch.set_num_threads(1)"),
        new_code_cell("explorer = SeparationExplorer.toy(n=2, length=4096, langevin=LangevinConfig(n_levels=5))\nexplorer"),
        new_code_cell("PriorExplorer(length=4096, clip=explorer.mixes[0])"),
    ], metadata={"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}})


def notebook_copy(path: Path) -> nbformat.NotebookNode:
    "The notebook at `path` without its `nbdev_export()` cell (the copy runs outside the project, where nbdev finds no settings.ini)."
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and "nbdev_export()" in c.source)]
    return nb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(folder: Path, port: int, token: str, log) -> subprocess.Popen:
    "JupyterLab serving `folder` on 127.0.0.1:`port`, with its own settings and workspaces under `folder`."
    for name, values in SETTINGS.items():
        path = folder / ".lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(folder / ".lab-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(folder / ".lab-workspaces"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--ServerApp.allow_root=True",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    return subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_server(proc: subprocess.Popen, url: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None: raise RuntimeError(f"JupyterLab exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError: time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer at {url.split('?')[0]} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    "Stop the JupyterLab we started (SIGTERM lets it shut its kernels down), then its process group if anything is left."
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try: proc.wait(20)
        except subprocess.TimeoutExpired: pass
    try: os.killpg(proc.pid, signal.SIGKILL)  # our own session only: start_new_session=True
    except ProcessLookupError: pass


IMAGES = "[...document.querySelectorAll('.jp-OutputArea .widget-image img, .jp-OutputArea img.widget-image')]"
PLOT_SRC = f"() => {IMAGES}[0].src"  # the separation explorer's plot: a new blob URL for each new picture


def counts(page) -> dict[str, int]:
    "How many of each expected element the notebook's outputs hold (images only once loaded and non-empty)."
    out = {sel: page.locator(f".jp-OutputArea {sel}").count() for sel in EXPECT if sel != ".widget-image img"}
    out[".widget-image img"] = page.evaluate(f"() => {IMAGES}.filter(i => i.complete && i.naturalWidth > 0).length")
    return out


ALL_RUN = r"() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].every(p => /\[\d+\]/.test(p.textContent))"
AUDIO = "[...document.querySelectorAll('.jp-OutputArea audio')]"
AUDIO_READY = f"() => {AUDIO}.every(a => a.readyState >= 1 && a.duration > 0)"  # each player has read its wav: a sound of non-zero length
AUDIO_STATE = f"() => {AUDIO}.map(a => [a.readyState, a.duration])"


def run_check(url: str, out: Path, timeout: float, chromium: str, builtin: bool) -> list[str]:
    "Open `url`, run all cells, wait for the widgets; the problems found (empty: all rendered). Writes the screenshot."
    from playwright.sync_api import Error as PlaywrightError, sync_playwright
    with sync_playwright() as p:
        try: browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        except PlaywrightError as e: raise RuntimeError(f"cannot start {chromium}: {e}") from None
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2600})
            try: problems = check_page(page, url, timeout, builtin)
            except PlaywrightError as e: problems = [f"the page did not behave: {e}"]
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    return problems


def check_page(page, url: str, timeout: float, builtin: bool) -> list[str]:
    "Run all cells of the notebook at `url` and check what renders; the problems found. Leaves the first explorer in view."
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    problems, least = [], lambda k: EXPECT[k] if builtin else 1
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    try: page.wait_for_selector("#jp-main-statusbar :text('Idle')", timeout=60_000)  # the kernel is up (Run All would queue anyway)
    except PlaywrightTimeout: pass
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    end, found, done = time.monotonic() + timeout, {}, False
    while time.monotonic() < end:
        found, done = counts(page), page.evaluate(ALL_RUN)
        if done and all(found[k] >= least(k) for k in EXPECT): break
        raised = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']:has-text('Traceback')")
        if raised.count(): problems.append("a cell raised:\n" + raised.first.inner_text()[-2000:]); break
        page.wait_for_timeout(1000)
    if not done and not problems: problems.append(f"the cells had not all run after {timeout:.0f} s")
    problems += [f"{k}: {found.get(k, 0)} rendered, expected at least {least(k)}" for k in EXPECT if found.get(k, 0) < least(k)]
    try: page.wait_for_function(AUDIO_READY, timeout=60_000)
    except PlaywrightTimeout: problems.append(f"audio players not loaded, (readyState, duration) each: {page.evaluate(AUDIO_STATE)}")
    if builtin and not problems:  # a real round trip: the browser's menu -> the kernel's callbacks -> the page
        before = page.evaluate(PLOT_SRC)
        page.locator(".jp-OutputArea .widget-dropdown select").nth(1).select_option(label="oracle ratio mask (upper bound)")
        try:
            page.wait_for_selector(".jp-OutputArea .widget-html :text('oracle ratio mask (upper bound):')", timeout=120_000)
            page.wait_for_function(f"before => ({PLOT_SRC})() !== before && {IMAGES}[0].complete", arg=before, timeout=120_000)  # the new plot
        except PlaywrightTimeout: problems.append("choosing the oracle in the method menu did not update the explorer's status and plot")
    explorer = page.locator(".jp-OutputArea .widget-vbox").first
    if explorer.count(): explorer.scroll_into_view_if_needed()
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Render the widgets explorers in JupyterLab with headless Chromium; screenshot; non-zero exit if they do not render.")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "browser_check.png", help="screenshot PNG (default: /tmp/browser_check.png)")
    parser.add_argument("--notebook", type=Path, default=None, help="run this notebook (a copy) instead of the built-in explorer notebook")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the cells to run and the widgets to render (default: 300)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium", help="the browser (default: Debian's /usr/bin/chromium)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (notebook, JupyterLab log)")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"browser_check: no browser at {args.chromium}; run `bash tools/install_browser.sh`", file=sys.stderr); return 2
    try: import playwright, jupyterlab  # noqa: F401
    except ImportError as e:
        print(f"browser_check: {e}; run `bash tools/install_browser.sh`", file=sys.stderr); return 2
    if args.notebook is not None and not args.notebook.is_file():
        print(f"browser_check: no notebook at {args.notebook}", file=sys.stderr); return 2
    folder = Path(tempfile.mkdtemp(prefix="dsp_browser_check_"))
    name = "check.ipynb"
    if args.notebook is None: nbformat.write(check_notebook(), folder / name)
    else: name = args.notebook.name; nbformat.write(notebook_copy(args.notebook), folder / name)
    port, token = free_port(), secrets.token_hex(16)
    log = open(folder / "jupyterlab.log", "wb")
    proc = start_lab(folder, port, token, log)
    t0 = time.perf_counter()
    try:
        try: wait_for_server(proc, f"http://127.0.0.1:{port}/api/status?token={token}", 120)
        except RuntimeError as e:
            print(f"browser_check: {e}; log: {folder / 'jupyterlab.log'}", file=sys.stderr); args.keep = True; return 2
        args.out.parent.mkdir(parents=True, exist_ok=True)
        try: problems = run_check(f"http://127.0.0.1:{port}/lab/tree/{name}?token={token}", args.out, args.timeout, args.chromium, args.notebook is None)
        except RuntimeError as e:
            print(f"browser_check: {e}", file=sys.stderr); return 2
    finally:
        stop(proc); log.close()
        if not args.keep: shutil.rmtree(folder, ignore_errors=True)
    took = time.perf_counter() - t0
    if problems:
        print(f"browser_check: FAILED after {took:.0f} s; screenshot {args.out}", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"browser_check: OK in {took:.0f} s: widgets, plots and audio players rendered in headless Chromium; screenshot {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
