"""The docs without quarto: README.md from nbs/index.ipynb, and every notebook rendered to HTML.

    python3 tools/docs.py readme            # regenerate README.md (and its images in index_files/)
    python3 tools/docs.py readme --check    # exit 1 with a diff if README.md is out of date
    python3 tools/docs.py html [--out DIR]  # render each notebook to DIR/NAME.html (default _html/)

Notebooks go through nbdev's own docs processing first (`nbdev.serve.proc_nbs`: hidden cells
dropped, directives stripped, `show_doc` cells executed, frontmatter extracted), exactly as for
`nbdev_docs`; only the last step, quarto's rendering, is replaced by nbconvert. With quarto
installed, `nbdev_docs` builds the full site from nbs/_quarto.yml.
"""
import argparse
import difflib
import re
import shutil
import sys
from pathlib import Path

import nbformat
import yaml
from nbconvert import HTMLExporter, MarkdownExporter
from nbdev.config import get_config
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parents[1]


def processed_notebooks() -> dict[str, Path]:
    "Run nbdev's docs processing on nbs/ (cached in _proc/ by mtime); map notebook stem -> processed notebook."
    cfg = get_config(path=ROOT)
    proc_nbs(cfg.nbs_path, n_workers=0)
    cache = cfg.config_path / "_proc"
    return {p.stem: cache / p.name for p in sorted(Path(cfg.nbs_path).glob("*.ipynb"))}  # the cache may hold renamed ones


def split_frontmatter(nb) -> tuple[dict, list]:
    "The YAML frontmatter (nbdev puts it in a leading raw cell) and the remaining cells."
    cells = list(nb.cells)
    if cells and cells[0].cell_type == "raw" and cells[0].source.startswith("---"):
        return yaml.safe_load(cells[0].source.strip().strip("-")) or {}, cells[1:]
    return {}, cells


def readme_text(index_nb: Path, files_dir: str = "index_files") -> tuple[str, dict]:
    "Markdown for README.md from the processed index notebook, and its output images {relative path: bytes}."
    nb = nbformat.read(index_nb, as_version=4)
    meta, nb.cells = split_frontmatter(nb)
    nb.metadata["language_info"] = {"name": "python"}  # nbdev_clean strips it; it labels the code fences
    exporter = MarkdownExporter(exclude_raw=True)
    body, resources = exporter.from_notebook_node(nb, resources={"output_files_dir": files_dir})
    head = f"# {meta.get('title', 'deep_sep_priors')}\n\n"
    if meta.get("description"): head += f"> {meta['description']}\n\n"
    text = head + body.strip() + "\n"
    text = re.sub(r"\]\((images/[^)\s]+)\)", r"](nbs/\1)", text)  # markdown images of nbs/images, seen from the repository root
    return text, resources.get("outputs", {})


def cmd_readme(check: bool) -> int:
    cfg = get_config(path=ROOT)
    text, images = readme_text(processed_notebooks()[Path(cfg.readme_nb).stem])
    readme = ROOT / "README.md"
    if check:
        current = readme.read_text(encoding="utf-8") if readme.exists() else ""
        missing = [name for name in images if not (ROOT / name).exists()]
        if current == text and not missing: return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), "README.md", "from nbs/index.ipynb"))
        if missing: print(f"missing README images: {missing}")
        print("README.md is out of date: run `python3 tools/docs.py readme`", file=sys.stderr)
        return 1
    shutil.rmtree(ROOT / "index_files", ignore_errors=True)
    for name, data in images.items():
        (ROOT / name).parent.mkdir(parents=True, exist_ok=True)
        (ROOT / name).write_bytes(data)
    readme.write_text(text, encoding="utf-8")
    print(f"wrote {readme} ({len(images)} images)")
    return 0


def cmd_html(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    for stem, path in processed_notebooks().items():
        nb = nbformat.read(path, as_version=4)
        meta, nb.cells = split_frontmatter(nb)
        title = meta.get("title", stem)
        intro = f"# {title}\n\n" + (f"> {meta['description']}\n" if meta.get("description") else "")
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(intro))
        html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        (out / f"{stem}.html").write_text(html, encoding="utf-8")
        print(f"rendered {out / (stem + '.html')}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("readme", help="README.md from nbs/index.ipynb").add_argument("--check", action="store_true")
    sub.add_parser("html", help="render every notebook to HTML").add_argument("--out", type=Path, default=ROOT / "_html")
    args = parser.parse_args(argv)
    return cmd_readme(args.check) if args.cmd == "readme" else cmd_html(args.out)


if __name__ == "__main__":
    sys.exit(main())
