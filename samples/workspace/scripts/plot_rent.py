#!/usr/bin/env python3
"""Rent calculator for the Riverside Allotment Society.

The Treasurer uses this script each November, before the rent invoices go out in the
first week of December, to check the plot register against the rent bands in the Plot
Holder Handbook (section 4), and during the year to work out pro-rata rents for new
tenants.

Usage:
    python3 plot_rent.py                      # check the register and print totals
    python3 plot_rent.py --prorata 2025-06-01 half
    python3 plot_rent.py --prorata 2025-06-01 full --concession

The register lives in ../data/plot-register.csv. Only the standard library is used, so
the script runs on the old laptop in the Pavilion without installing anything.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

# Annual rents in pounds, as set at the annual general meeting. These must match the
# Plot Holder Handbook. Rents were left unchanged for 2025.
FULL_PLOT_RENT = Decimal("72.00")
HALF_PLOT_RENT = Decimal("40.00")

# Plot holders aged 65 or over, or receiving a means-tested benefit, pay half rent.
CONCESSION_RATE = Decimal("0.5")

# The membership fee is charged once per tenancy, not per plot holder, so a couple
# sharing a plot pay it once.
MEMBERSHIP_FEE = Decimal("10.00")

# Refundable deposit for the gate and Pavilion key. Not income: it is held separately.
KEY_DEPOSIT = Decimal("25.00")

REGISTER = Path(__file__).resolve().parent.parent / "data" / "plot-register.csv"


@dataclass(frozen=True)
class Tenancy:
    plot: str
    size: str  # "full" or "half"
    holder: str
    concession: str  # "none", "concession" or "community"
    rent_in_register: Decimal

    @property
    def vacant(self) -> bool:
        return self.holder.strip().lower() in {"", "(vacant)"}


def band_rent(size: str, concession: str) -> Decimal:
    """Return the full-year rent for a plot of this size and concession status."""
    if concession == "community":
        # Community plots (currently only plot 52, the school garden) are rent free.
        return Decimal("0.00")
    if size == "full":
        rent = FULL_PLOT_RENT
    elif size == "half":
        rent = HALF_PLOT_RENT
    else:
        raise ValueError(f"unknown plot size {size!r}")
    if concession == "concession":
        rent = rent * CONCESSION_RATE
    return rent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def prorata_rent(start: dt.date, size: str, concession: str) -> Decimal:
    """Rent for a tenancy that starts part way through the rent year.

    The rent year runs from 1 January to 31 December. A new tenant pays for each whole
    or part month remaining, counting the month in which the tenancy starts. So a half
    plot taken on 1 June pays seven twelfths of £40, which is £23.33.
    """
    months_remaining = 12 - start.month + 1
    annual = band_rent(size, concession)
    return (annual * months_remaining / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def load_register(path: Path = REGISTER) -> list[Tenancy]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return [
            Tenancy(
                plot=row["plot"],
                size=row["type"],
                holder=row["holder"],
                concession=row["concession"],
                rent_in_register=Decimal(row["annual_rent_gbp"]),
            )
            for row in rows
        ]


def check_register(tenancies: list[Tenancy]) -> int:
    """Print any tenancy whose recorded rent does not match its band. Returns the count."""
    problems = 0
    for t in tenancies:
        if t.vacant:
            continue
        expected = band_rent(t.size, t.concession)
        if expected != t.rent_in_register:
            problems += 1
            print(f"plot {t.plot}: register says £{t.rent_in_register}, band says £{expected}")
    return problems


def summarise(tenancies: list[Tenancy]) -> None:
    let = [t for t in tenancies if not t.vacant]
    rent_total = sum((band_rent(t.size, t.concession) for t in let), Decimal("0"))
    fees_total = MEMBERSHIP_FEE * len(let)
    print(f"Tenancies let:        {len(let)} of {len(tenancies)}")
    print(f"  full plots:         {sum(1 for t in let if t.size == 'full')}")
    print(f"  half plots:         {sum(1 for t in let if t.size == 'half')}")
    print(f"  concessions:        {sum(1 for t in let if t.concession == 'concession')}")
    print(f"Annual rent due:      £{rent_total:,.2f}")
    print(f"Membership fees due:  £{fees_total:,.2f}")
    print(f"Total to invoice:     £{rent_total + fees_total:,.2f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prorata", nargs=2, metavar=("START_DATE", "SIZE"),
                        help="work out the first year's rent for a new tenancy")
    parser.add_argument("--concession", action="store_true",
                        help="apply the 50 per cent concession to --prorata")
    args = parser.parse_args(argv)

    if args.prorata:
        start = dt.date.fromisoformat(args.prorata[0])
        size = args.prorata[1]
        concession = "concession" if args.concession else "none"
        rent = prorata_rent(start, size, concession)
        print(f"Rent from {start:%d %B %Y} to 31 December: £{rent}")
        print(f"Plus membership fee £{MEMBERSHIP_FEE} and key deposit £{KEY_DEPOSIT}")
        return 0

    tenancies = load_register()
    problems = check_register(tenancies)
    summarise(tenancies)
    if problems:
        print(f"{problems} tenancies need checking before invoices go out.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
