"""Coverage-guided fuzzing of the Word and Excel readers with atheris (libFuzzer).

Usage (``make fuzz`` runs both for ``FUZZ_SECONDS`` each when atheris is installed)::

    python tests/fuzz/atheris_readers.py docx -max_total_time=300 -timeout=30
    python tests/fuzz/atheris_readers.py xlsx -max_total_time=300 [corpus_dir]

libFuzzer's bytes drive the same structure-aware mutations as the hypothesis tests (which
seed, which part, which edit; :mod:`tests.fuzz.mutations`), so coverage of our readers
guides the search, and the oracle is the same (:mod:`tests.fuzz.oracle`): a result or our
4xx error. A crash prints the traceback and writes the libFuzzer input that replays it to
the temp folder (``python tests/fuzz/atheris_readers.py docx /tmp/addin-fuzz-crash-<hash>``).
``-timeout`` catches hangs and ``-rss_limit_mb`` memory blow-ups.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

try:
    import atheris
except ImportError:  # pragma: no cover - optional tool
    sys.exit("atheris is not installed: pip install atheris (the hypothesis tests in "
             "tests/fuzz run without it)")

with atheris.instrument_imports(include=["addin"]):  # coverage of our code guides the search
    from tests.fuzz import mutations
    from tests.fuzz.oracle import check

DEFAULT_FLAGS = ("-timeout=30", "-rss_limit_mb=4096",
                 f"-artifact_prefix={tempfile.gettempdir()}/addin-fuzz-")


class Provided:
    """A mutations.Chooser backed by libFuzzer's bytes."""

    def __init__(self, data: bytes) -> None:
        self.fdp = atheris.FuzzedDataProvider(data)

    def integer(self, low: int, high: int) -> int:
        return int(self.fdp.ConsumeIntInRange(low, high)) if high > low else low


def _runner():  # type: ignore[no-untyped-def]
    for key in [k for k in os.environ if k.startswith("ADDIN_")]:
        del os.environ[key]
    folder = tempfile.mkdtemp(prefix="addin-fuzz-db-")  # a throwaway store
    os.environ["ADDIN_DATABASE_URL"] = f"sqlite:///{folder}/addin.sqlite"
    from addin import create_app

    return create_app().extensions["addin.runner"]


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("docx", "xlsx"):
        sys.exit(__doc__)
    kind = sys.argv.pop(1)
    max_mb = float(os.environ.get("FUZZ_SEED_MB", "1"))
    seeds = mutations.seeds(kind, int(max_mb * 1024 * 1024))
    runner = _runner()

    def one_input(data: bytes) -> None:
        chooser = Provided(data)
        _, seed = mutations.pick(chooser, seeds)
        check(mutations.mutate(chooser, seed), runner)

    flags = [arg for arg in DEFAULT_FLAGS
             if not any(a.startswith(arg.split("=")[0] + "=") for a in sys.argv)]
    atheris.Setup([*sys.argv, *flags], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
