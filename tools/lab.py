"""Open the chapters in the project's pinned JupyterLab, as a student: ``make lab``.

Usage: python tools/lab.py [--no-browser] [extra jupyter lab arguments]

Copies every ``chapters/NN_slug.ipynb`` that is not yet in ``lab/`` into it (a working copy:
what a student reads, runs and edits; an existing copy is never overwritten, so work is kept),
then starts JupyterLab there. The committed notebooks are test fixtures and the book's source:
a student never edits them, so JupyterLab's autosave cannot break ``make test``. JupyterLab
runs with jupyterlab-myst (it renders the numbers in the prose, figures and equations) and
without the authoring and grading extensions (jupytext, nbgrader). To start a chapter afresh,
delete its copy in ``lab/`` and run ``make lab`` again.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from check_lab import write_student_config  # noqa: E402

LAB = ROOT / "lab"


def prepare() -> tuple[list[str], list[str]]:
    """Copy missing chapters into lab/; return (copied, kept) file names."""
    LAB.mkdir(exist_ok=True)
    copied, kept = [], []
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        target = LAB / nb.name
        if target.exists():
            kept.append(nb.name)
        else:
            shutil.copy(nb, target)
            copied.append(nb.name)
    return copied, kept


def main(argv: list[str]) -> int:
    copied, kept = prepare()
    if copied:
        print(f"lab/: copied {', '.join(copied)}")
    if kept:
        print(f"lab/: kept your copies of {', '.join(kept)} (delete one to start it afresh)")
    config = ROOT / "lab" / ".jupyter"
    settings = write_student_config(config)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config),
               PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    args = [str(bin_dir / "jupyter"), "lab", f"--ServerApp.root_dir={LAB}",
            f"--LabApp.user_settings_dir={settings}", *argv]
    if os.geteuid() == 0:
        args.append("--ServerApp.allow_root=True")
    os.chdir(LAB)
    os.execve(args[0], args, env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
