"""The main job on embedded defaults: what `make demo` runs after setting up.

Assesses a realistic case under each built-in jurisdiction, shows the levers side by side,
assesses every example case in one batch, then runs the registry and the clearinghouse on a
fresh SQLite file in out/: model cards imported, a disclosure logged, signed and verified, a
compulsory licence opened from a determination, usage settled, the collective pool paid out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "distillgov"]
CASE = ROOT / "examples" / "cases" / "startup-clones-chat-model-via-public-api.yaml"


def step(title: str, *args: str, cwd: Path = ROOT) -> None:
    print(f"\n$ distillgov {' '.join(args)}\n# {title}", flush=True)
    subprocess.run([*CLI, *args], check=True, cwd=cwd)


DISCLOSURE = ROOT / "examples" / "disclosures" / "tiny-reasoner.yaml"


def registry_and_clearinghouse(out: Path) -> None:
    """On a fresh database in out/, so the demo can run again and again."""
    work = out / "registry"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    db = ["--database", f"sqlite:///{work / 'distillgov.sqlite'}"]
    data = ["--data-dir", str(work / "data")]

    def run(title: str, *args: str) -> None:
        step(title, *args, cwd=work)

    run("A transparency log with its signing key", "registry", "init", "--origin",
        "demo.distillgov.example/log", *db)  # fmt: skip
    run("Models from Hugging Face model cards", "registry", "import-cards",
        str(ROOT / "examples" / "cards"), *db)  # fmt: skip
    run("A disclosure of a distilled model's teachers", "registry", "disclose",
        str(DISCLOSURE), *db)  # fmt: skip
    run("A signed checkpoint of the log", "registry", "checkpoint", *db)
    run("Everything recomputed and checked", "registry", "verify", *db)
    run("The lineage, as a tree", "lineage", "student-lab/tiny-reasoner-0.5b", *db)
    student = "student-lab/tiny-reasoner-0.5b"
    run("The lineage as a CycloneDX document", "registry", "export", student, "--as",
        "cyclonedx", "-o", "lineage.cdx.json", *db)  # fmt: skip
    run("A compulsory licence from a determination (Global South)", "license", "open",
        str(CASE), "-j", "global_south", "--id", "lic-cheap-chat-gs", *db)  # fmt: skip
    run("The licensee's usage report", "usage", "ingest",
        str(ROOT / "examples" / "usage" / "cheap-chat-gs-2025.jsonl"), *db, *data)  # fmt: skip
    run("Royalties settled and posted", "settle", "--on", "2025-07-01", *db, *data)
    run("Invoices to the licensee", "invoice", "issue", "--on", "2025-07-01", *db)
    for number, amount in (("INV-000001", "1025.00"), ("INV-000002", "1137.50"),
                           ("INV-000003", "503.23")):  # fmt: skip
        run(f"The licensee pays {number}", "payment", "record", number, amount, "--id",
            f"cheap-chat-bank-{number}", "--on", "2025-07-01", *db)  # fmt: skip
    run("Creators' claims on the collective pool", "pool", "claims",
        str(ROOT / "examples" / "pool-claims.csv"), "--pool", "global_south", *db)  # fmt: skip
    run("The pool paid out", "pool", "distribute", "global_south", "--on", "2025-07-01", *db)
    run("The books balance", "ledger", "check", *db)
    run("A creator's statement", "statement", "holder", "maria-ruiz", *db)
    run("A service account for the licensee, with an API token for the web app", "accounts",
        "cheap-chat", "--role", "distiller", "--org", "cheap-chat-inc", "--write", *db)  # fmt: skip


def main() -> None:
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    step("The jurisdiction profiles", "jurisdictions")
    step("Their levers side by side", "jurisdictions", "compare", "--on", "2025-03-01")
    for jurisdiction in ("us", "cn", "global_south"):
        letter = out / f"determination-{jurisdiction}.html"
        step(
            f"One case under {jurisdiction}: a letter in {letter.relative_to(ROOT)}",
            "assess",
            str(CASE.relative_to(ROOT)),
            "-j",
            jurisdiction,
            "-f",
            "html",
            "-o",
            str(letter.relative_to(ROOT)),
        )
    step(
        "The same case as a text determination (US)",
        "assess",
        str(CASE.relative_to(ROOT)),
        "-j",
        "us",
    )
    step(
        "How far Gemini's terms reach under the Global South profile",
        "terms",
        "review",
        "gemini-1.5-pro",
        "-j",
        "global_south",
        "--on",
        "2025-06-01",
    )
    step(
        "A real distillation (Vicuna, 2023) with the catalogue's terms and the nearest fixes",
        "assess",
        "examples/cases/vicuna-13b-2023.yaml",
        "-j",
        "us",
        "--suggest",
    )
    step(
        "The profiles' levers scored under four normative lenses",
        "lab",
        "compare",
        "--on",
        "2025-03-01",
    )
    step(
        "Every example case at once, with the vectorized evaluator",
        "assess-batch",
        "examples/batch/example-cases.csv",
        "-j",
        "global_south",
        "-o",
        "out/example-results.csv",
    )
    registry_and_clearinghouse(out)
    print(f"\nDone. Open {out / 'determination-us.html'} or read out/example-results.csv.")
    if serve_after(sys.argv[1:]):
        database = f"sqlite:///{out / 'registry' / 'distillgov.sqlite'}"
        print("\nServing the web app and the API on the demo's data (Ctrl-C to stop).", flush=True)
        env = {**os.environ, "DISTILLGOV_DATA_DIR": str(out / "registry" / "data")}
        with contextlib.suppress(KeyboardInterrupt):
            subprocess.run([*CLI, "serve", "--database", database], cwd=ROOT, env=env)
    else:
        print("Serve the web app on this data with `make serve` (http://127.0.0.1:8000/).")


def serve_after(args: list[str]) -> bool:
    """Serve at the end when run from a terminal (a person is watching); not when piped or run
    by CI or the tests, which need the command to finish. --serve / --no-serve decide."""
    if "--no-serve" in args:
        return False
    return "--serve" in args or (sys.stdin.isatty() and sys.stdout.isatty())


if __name__ == "__main__":
    main()
