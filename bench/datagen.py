"""Benchmark input: CSV files of customers and open invoices, written as a stream.

The files look like an accounting package's export (English headers, decimal point, the columns
of docs/ and examples/), with valid IBAN and VAT check digits so the importer's validation does
its real work. Every invoice is open and the issue dates spread over the year before ``as_of``,
so the aging report has to fill every bucket. Deterministic per seed; a million invoices take a
few seconds and no more memory than one row.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CUSTOMER_HEADER = [
    "customer number", "name", "kind", "coc number", "vat number", "address", "postal code",
    "city", "country", "email", "language", "payment term days", "credit limit", "segment", "iban",
]  # fmt: skip
INVOICE_HEADER = [
    "invoice number", "customer number", "invoice date", "due date", "currency", "net", "vat",
    "gross", "payment reference", "description",
]  # fmt: skip

_CITIES = [("Amsterdam", "1011 AB"), ("Rotterdam", "3011 CD"), ("Utrecht", "3511 EG"),
           ("Eindhoven", "5611 HJ"), ("Groningen", "9711 KL")]  # fmt: skip
_STREETS = ["Kerkstraat", "Stationsweg", "Industrieweg", "Molenweg", "Havenstraat"]
_TRADES = ["Bouw", "Transport", "Horeca", "Installatie", "Handel", "Advies", "Metaal"]
_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"]
_BANKS = ["ABNA", "RABO", "INGB", "SNSB", "TRIO"]


@dataclass(frozen=True)
class BenchFiles:
    customers: Path
    invoices: Path
    customer_count: int
    invoice_count: int


def nl_iban(bank: str, account: int) -> str:
    """A Dutch IBAN with correct ISO 13616 check digits (mod 97 over the rearranged digits)."""
    bban = f"{bank}{account:010d}"
    numeric = "".join(str(int(c, 36)) for c in bban + "NL00")
    return f"NL{98 - int(numeric) % 97:02d}{bban}"


def nl_vat(rng: random.Random) -> str:
    """A Dutch VAT number whose first nine digits pass the eleven-test."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randrange(10) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return "NL" + "".join(map(str, digits)) + str(check) + "B01"


def write_customers(path: Path, count: int, *, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(CUSTOMER_HEADER)
        for i in range(count):
            number = f"C{i + 1:07d}"
            city, postal = _CITIES[i % len(_CITIES)]
            street = f"{_STREETS[i % len(_STREETS)]} {i % 200 + 1}"
            iban = nl_iban(_BANKS[i % len(_BANKS)], rng.randrange(10**10))
            if i % 3:  # two in three are businesses
                name = f"{_TRADES[i % len(_TRADES)]} {_NAMES[i % len(_NAMES)]} {i} B.V."
                out.writerow([
                    number, name, "b2b", f"{rng.randint(10000000, 99999999)}", nl_vat(rng),
                    street, postal, city, "NL", f"facturen{i}@example.nl", "nl", "30",
                    f"{rng.choice([5000, 10000, 25000])}.00", "groothandel", iban,
                ])  # fmt: skip
            else:
                name = f"Klant {_NAMES[i % len(_NAMES)]} {i}"
                out.writerow([
                    number, name, "b2c", "", "", street, postal, city, "NL",
                    f"klant{i}@example.nl", "nl", "14", "", "particulier", iban,
                ])  # fmt: skip


def write_invoices(path: Path, count: int, *, customers: int, as_of: date, seed: int) -> None:
    """Open invoices for ``customers`` customers, issued up to 400 days before ``as_of``."""
    rng = random.Random(seed + 1)
    first = as_of - timedelta(days=400)
    days = [(first + timedelta(days=d)).isoformat() for d in range(401)]
    dues = [(first + timedelta(days=d + 30)).isoformat() for d in range(401)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(INVOICE_HEADER) + "\n")
        lines: list[str] = []
        for i in range(count):
            day = rng.randrange(401)
            net = rng.randint(1_000, 500_000)  # cents: EUR 10 to EUR 5,000
            vat = (net * 21 + 50) // 100
            gross = net + vat
            customer = rng.randrange(customers) + 1
            lines.append(
                f"B{i + 1:08d},C{customer:07d},{days[day]},{dues[day]},EUR,"
                f"{net // 100}.{net % 100:02d},{vat // 100}.{vat % 100:02d},"
                f"{gross // 100}.{gross % 100:02d},,Levering {i % 97}\n"
            )
            if len(lines) == 10_000:
                handle.writelines(lines)
                lines.clear()
        handle.writelines(lines)


def generate(
    out_dir: Path, *, customers: int, invoices: int, as_of: date, seed: int = 1
) -> BenchFiles:
    """Write (or reuse, when already there for the same parameters) the two CSV files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{customers}c-{invoices}i-{as_of.isoformat()}-s{seed}"
    files = BenchFiles(
        customers=out_dir / f"customers-{stem}.csv",
        invoices=out_dir / f"invoices-{stem}.csv",
        customer_count=customers,
        invoice_count=invoices,
    )
    done = out_dir / f".done-{stem}"
    if not done.exists():
        write_customers(files.customers, customers, seed=seed)
        write_invoices(files.invoices, invoices, customers=customers, as_of=as_of, seed=seed)
        done.touch()
    return files
