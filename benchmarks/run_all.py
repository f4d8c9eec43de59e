"""Every benchmark at full scale (by hand: `make bench`). Figures go to docs/performance.md."""

from __future__ import annotations

from benchmarks import (
    bench_appends,
    bench_batch,
    bench_catalogue,
    bench_consent,
    bench_lab,
    bench_monitor,
    bench_registry,
    bench_settlement,
    bench_single,
    bench_startup,
    bench_tiles,
)


def main() -> None:
    bench_single.main()
    bench_batch.main()
    bench_startup.main()
    bench_lab.main()
    bench_registry.main()
    bench_settlement.main()
    bench_consent.main()
    bench_appends.main()
    bench_tiles.main()
    bench_monitor.main()
    bench_catalogue.main()


if __name__ == "__main__":
    main()
