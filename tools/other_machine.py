"""Run a command as if on another CPU: another OpenBLAS kernel, without numpy's newer SIMD paths.

Usage: python tools/other_machine.py COMMAND [ARGS...]

Stored outputs and tests must not depend on the processor that produced them. This runs a
command with the OpenBLAS bundled in numpy and scipy forced onto its Sandybridge kernel
(``OPENBLAS_CORETYPE``; left alone where the machine already sets it, since some machines need
their own setting) and with every optional SIMD extension that numpy found on this CPU switched
off (``NPY_DISABLE_CPU_FEATURES``), so numpy falls back to its baseline loops. Both change the
last digits of floating-point results the way another machine does; ``.ci/run`` runs the whole
test suite under it.
"""

from __future__ import annotations

import os
import subprocess
import sys


def _found_simd_features() -> list[str]:
    probe = "import numpy._core._multiarray_umath as m; print(' '.join(k for k, v in m.__cpu_features__.items() if v and k in m.__cpu_dispatch__))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    env = dict(os.environ)
    if "OPENBLAS_CORETYPE" in env:
        print(f"other_machine: OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']} is set by this machine; kept")
    else:
        env["OPENBLAS_CORETYPE"] = "Sandybridge"
    features = _found_simd_features()
    if features:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    print(f"other_machine: OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']} "
          f"NPY_DISABLE_CPU_FEATURES={env.get('NPY_DISABLE_CPU_FEATURES', '')!r}", flush=True)
    return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
