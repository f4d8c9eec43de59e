"""The main job on embedded defaults: what `make demo` runs after setting up.

Assesses a realistic case under each built-in jurisdiction, shows the levers side by side, and
assesses every example case in one batch, writing the results to out/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "distillgov"]
CASE = ROOT / "examples" / "cases" / "startup-clones-chat-model-via-public-api.yaml"


def step(title: str, *args: str) -> None:
    print(f"\n$ distillgov {' '.join(args)}\n# {title}", flush=True)
    subprocess.run([*CLI, *args], check=True, cwd=ROOT)


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
    print(f"\nDone. Open {out / 'determination-us.html'} or read out/example-results.csv.")


if __name__ == "__main__":
    main()
