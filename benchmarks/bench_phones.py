"""Phone normalisation speed: ``normalize.phones`` against plain phonenumbers.

    python benchmarks/bench_phones.py --values 200000 --repeat 5

Generates phone strings written the ways French, Belgian, Swiss, British, German and
Spanish customers write them (national and international forms, ``00`` prefixes, a
written ``(0)``, dots, dashes, a missing leading zero, extensions, junk), then times

* **personae**: ``normalize.phones(values, "FR")`` (keys, de-duplication, the metadata
  fast path, phonenumbers for the rest);
* **phonenumbers**: ``parse`` + ``is_valid_number`` + ``format_number(E164)`` on each
  distinct value, the plain way to get the same answer.

Prints the median of ``--repeat`` runs for each, in microseconds per value, and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence

import phonenumbers

from personae.clean import normalize

#: region -> (country code, national number templates: "#" is a random digit)
NUMBERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "FR": ("33", ("6########", "7########", "1########", "4########", "9########")),
    "BE": ("32", ("47#######", "48#######", "49#######", "2#######", "9#######")),
    "CH": ("41", ("7[5-9]#######", "21#######", "44#######", "31#######")),
    "GB": ("44", ("7[1-9]########", "20########", "161#######", "1632######")),
    "DE": ("49", ("15[1-9]########", "17[0-9]#######", "30########", "89#######")),
    "ES": ("34", ("6########", "7[1-4]#######", "91#######", "93#######")),
}
#: how often each region appears (a French retailer's customers)
WEIGHTS = {"FR": 70, "BE": 8, "CH": 6, "GB": 6, "DE": 5, "ES": 5}
JUNK = (
    "0000000000", "00 00 00 00 00", "N/A", "nc", "inconnu", "-", "0", "12", "06", "123456",
    "tel", "pas de téléphone", "0612", "+33", "+", "xxxxxxxxxx", "jean.dupont@gmail.com",
)  # fmt: skip


def _national(template: str, rng: random.Random) -> str:
    out: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char == "#":
            out.append(str(rng.randrange(10)))
        elif char == "[":
            low, high = template[i + 1], template[i + 3]
            out.append(str(rng.randint(int(low), int(high))))
            i += 4
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _grouped(digits: str, size: int, sep: str) -> str:
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


def written(region: str, nsn: str, rng: random.Random) -> str:
    """One way a customer writes the number ``nsn`` of ``region``."""
    code = NUMBERS[region][0]
    national = "0" + nsn  # every region above has a national prefix 0
    sep = rng.choice([" ", ".", "-", "/", ""])
    style = rng.randrange(14)
    if style == 0:
        return national
    if style == 1:
        return _grouped(national, 2, sep) if region == "FR" else f"{national[:4]}{sep}{nsn[3:]}"
    if style == 2:
        return f"+{code}{nsn}"
    if style == 3:
        return f"+{code} {_grouped(nsn, 2, ' ')}"
    if style == 4:
        return f"00{code}{nsn}"
    if style == 5:
        return f"00 {code} {_grouped(nsn, 3, ' ')}"
    if style == 6:
        return f"+{code} (0){nsn[:1]} {_grouped(nsn[1:], 2, ' ')}"
    if style == 7:
        return _grouped(nsn, 2, sep)  # leading zero lost (a spreadsheet)
    if style == 8:
        return f"{code}{nsn}"  # '+' lost
    if style == 9:
        return f"({national[:3]}) {nsn[2:]}"
    if style == 10:
        return f"{national} {rng.choice(['ext', 'poste', 'x', 'ext.', '#'])} {rng.randrange(999)}"
    if style == 11:  # a typo: one digit too many or too few
        return national[:-1] if rng.random() < 0.5 else national + str(rng.randrange(10))
    if style == 12:
        return f" {_grouped(national, 2, ' ')} "
    return f"+{code}-{nsn[:3]}-{nsn[3:]}"


def corpus(count: int, seed: int = 7) -> list[str | None]:
    """``count`` phone strings (a few of them None or junk), reproducible from ``seed``."""
    rng = random.Random(seed)
    regions = [r for r, w in WEIGHTS.items() for _ in range(w)]
    values: list[str | None] = []
    while len(values) < count:
        roll = rng.random()
        if roll < 0.03:
            values.append(None)
        elif roll < 0.08:
            values.append(rng.choice(JUNK))
        elif roll < 0.10:
            values.append(_national("#" * rng.randint(3, 16), rng))
        else:
            region = rng.choice(regions)
            nsn = _national(rng.choice(NUMBERS[region][1]), rng)
            values.append(written(region, nsn, rng))
    return values


def plain(values: Sequence[str | None], region: str) -> list[str | None]:
    """phonenumbers alone, once per distinct value."""
    seen: dict[str, str | None] = {}
    out: list[str | None] = []
    for raw in values:
        if raw is None:
            out.append(None)
            continue
        if raw not in seen:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                seen[raw] = None
            else:
                seen[raw] = (
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                    if phonenumbers.is_valid_number(number)
                    else None
                )
        out.append(seen[raw])
    return out


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--region", default="FR")
    args = parser.parse_args()
    values = corpus(args.values, args.seed)
    distinct = len({v for v in values if v is not None})
    ours = normalize.phones(values, args.region)  # warms the metadata caches
    reference = plain(values, args.region)
    agree = sum(a == b for a, b in zip(ours, reference, strict=True))
    fast = median_seconds(lambda: normalize.phones(values, args.region), args.repeat)
    slow = median_seconds(lambda: plain(values, args.region), args.repeat)
    valid = sum(v is not None for v in ours)
    print(f"{len(values)} values, {distinct} distinct, {valid} valid in region {args.region}")
    print(f"personae.phones   median {fast:.3f} s  {fast / distinct * 1e6:.2f} us/distinct")
    print(f"phonenumbers      median {slow:.3f} s  {slow / distinct * 1e6:.2f} us/distinct")
    print(f"ratio             {slow / fast:.2f}x faster")
    print(f"same answer as plain phonenumbers on {agree / len(values):.1%} of values")


if __name__ == "__main__":
    main()
