"""Write the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the states, rolling
monitors and texts the test suite builds: valid inputs for libFuzzer to mutate.

Run from the repository's root with the package importable (see README.md):
    PYTHONPATH=python:tests python fuzz/seed_corpus.py
"""

import hashlib
import struct
from pathlib import Path

from test_rolling_bytes import hostile_monitors
from test_state_bytes import HEADER, batch, hostile_states, single

CORPUS = Path(__file__).parent / "corpus"


def write(target: str, seeds: list[bytes]) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"{target}: {len(seeds)} seeds")


def main() -> None:
    # The targets frame a payload themselves: seeds are payloads (the bytes past the header).
    states = [state.data[HEADER:] for state in hostile_states()]
    write("state_bytes", states)
    # A merge's input: two bytes giving the first payload's length, then both payloads;
    # pairs of the same kind and settings, so that the merge itself is reached.
    pairs = [
        (single("a", 12, seed=1).data, single("b", 20, seed=2).data),
        (batch("a", 30, seed=5, exact_budget=4).data, batch("b", 30, seed=6, exact_budget=4).data),
        (batch("a", 10, seed=7).data, batch("b", 0).data),
    ]
    merges = [struct.pack(">H", len(a) - HEADER) + a[HEADER:] + b[HEADER:] for a, b in pairs]
    merges += [struct.pack(">H", len(s)) + s + s for s in states if len(s) < 1 << 16]
    write("state_merge", merges)
    write("rolling_bytes", [bytes(monitor.to_bytes())[HEADER:] for monitor in hostile_monitors()])
    write(
        "timestamp_text",
        [
            text.encode()
            for text in [
                "2026-01-05T10:00:00Z",
                "2026-01-05T12:30:00+02:30",
                "2026-01-05T05:00:00-0500",
                "2026-01-05 10:00",
                "2026-01-05",
                "1969-12-31T23:59:59.9999999Z",
                "2026-01-05T10:00:00-05:53:28.5",
                "2026-01-05T10:00:00+055328",
                "9999-12-31T23:59:59.999999Z",
                "0001-01-01T00:00:00+23:59:59.999999",
                " 2026-01-05t10:00:00,123456789z ",
            ]
        ],
    )
    write(
        "number_text",
        [
            text.encode()
            for text in [
                "1764547200",
                "1764547200.25",
                "1764547200123456789",
                "20260101103059",
                " -1.5e-300 ",
                "1.00000000000000000001",
                ".5",
                "True",
                " no\x1c",
            ]
        ],
    )
    instant = struct.pack("<q", 1_772_668_800_000_000)
    zones = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
    write("zone_offsets", [instant + zone.encode() for zone in zones])


if __name__ == "__main__":
    main()
