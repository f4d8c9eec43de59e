"""Random usage reports for the crash-safety and Spark tests (seeded: the same every run)."""

from __future__ import annotations

import random
from pathlib import Path


def write_reports(folder: Path, count: int, rows: int) -> None:
    rng = random.Random(3)
    folder.mkdir()
    for r in range(count):
        lines = ["licence,period,units,revenue,currency"]
        for _ in range(rows):
            licence, currency = rng.choice(
                [("lic-cheap-chat-cn", "CNY"), ("lic-cheap-chat-gs", "USD")]
            )
            month = rng.randint(1, 8)
            lines.append(
                f"{licence},2025-{month:02d},{rng.randint(0, 10**7)},"
                f"{rng.randint(0, 10**6)}.{rng.randint(0, 99):02d},{currency}"
            )
        (folder / f"report-{r:03d}.csv").write_text("\n".join(lines) + "\n")
