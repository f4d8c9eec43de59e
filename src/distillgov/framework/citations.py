"""Where in the framework each rule and each profile value comes from.

The paper's presentation (`shared/framework/presentation.txt`) has six tables and an abstract.
We refer to them by a short id and to their rows by a short label of our own (a paraphrase of the
row's heading, never its text), so every trace line and profile value can point back to its source.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLES: dict[str, str] = {
    "landscape": "Current legal landscape in the US (doctrine, what it offers, uncertainties)",
    "stakeholders": "Regulatory challenge: stakeholders, pressures and objectives",
    "lenses": "Normative lenses (core principle, policy direction, caveats)",
    "types": "Type of distillation, baseline rule and justification",
    "policies": "Cross-cutting policies, contents and justification",
    "adjustments": "Adjustments for different legal systems (US, CN, Global South)",
    "abstract": "Abstract: the five elements of the proposed regime",
}

ROWS: dict[str, tuple[str, ...]] = {
    "landscape": ("copyright", "patent", "trade_secret", "contract", "antitrust"),
    "stakeholders": (
        "frontier_developers",
        "distillers",
        "content_creators",
        "end_users",
        "regulators",
    ),
    "lenses": ("utilitarianism", "deontology", "lockean", "rawlsian"),
    "types": ("authorized", "commercial_cloning", "transformative", "research", "illicit"),
    "policies": ("de_minimis", "transparency", "collective_licensing", "privacy"),
    "adjustments": ("exclusivity_time", "contract_reach", "royalty_rules", "research_carveout"),
    "abstract": (
        "three_categories",
        "reverse_engineering",
        "compulsory_licence",
        "safe_harbours",
        "conditional_immunities",
    ),
}

COLUMNS: dict[str, tuple[str, ...]] = {"adjustments": ("us", "cn", "global_south")}


@dataclass(frozen=True, slots=True)
class Citation:
    """A pointer into the framework: table id, row label and, for the adjustments, a column."""

    table: str
    row: str
    column: str | None = None

    def __post_init__(self) -> None:
        if self.table not in TABLES:
            raise ValueError(f"unknown framework table {self.table!r}")
        if self.row not in ROWS[self.table]:
            raise ValueError(f"unknown row {self.row!r} of table {self.table!r}")
        if self.column is not None and self.column not in COLUMNS.get(self.table, ()):
            raise ValueError(f"unknown column {self.column!r} of table {self.table!r}")

    def __str__(self) -> str:
        col = f", column {self.column}" if self.column else ""
        return f"{self.table} table, row {self.row}{col}"

    def as_dict(self) -> dict[str, str]:
        out = {"table": self.table, "row": self.row}
        if self.column:
            out["column"] = self.column
        return out

    @classmethod
    def parse(cls, text: str) -> Citation:
        """Read the compact form `table/row[/column]` used in data files."""
        parts = text.split("/")
        if len(parts) not in (2, 3):
            raise ValueError(f"citation {text!r} is not of the form table/row[/column]")
        return cls(*parts)


def cite(table: str, row: str, column: str | None = None) -> Citation:
    return Citation(table, row, column)
