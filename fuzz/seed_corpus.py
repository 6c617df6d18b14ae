"""Write the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the states, rolling
monitors and texts the test suite builds: valid inputs for libFuzzer to mutate.

Run from the repository's root with the package importable (see README.md):
    PYTHONPATH=python:tests python fuzz/seed_corpus.py
"""

import hashlib
import struct
from pathlib import Path

from test_batch_rolling_bytes import small_monitors
from test_rolling_bytes import hostile_monitors
from test_state_bytes import HEADER, batch, hostile_states, single

CORPUS = Path(__file__).parent / "corpus"


def write(target: str, seeds: list[bytes]) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"{target}: {len(seeds)} seeds")


#: The oldest format version each kind's reader accepts: a target's input starts with a
#: byte choosing the version (the oldest plus it), then the payload.
OLDEST_STATE, OLDEST_ROLLING, OLDEST_BATCH_ROLLING = 7, 1, 1


def version_of(data: bytes) -> int:
    return int(struct.unpack("<H", data[4:6])[0])


def seed(data: bytes, oldest: int) -> bytes:
    """A target's input for framed `data`: the byte choosing its version, then its payload
    (the bytes past the header; the target frames it itself)."""
    return bytes([version_of(data) - oldest]) + data[HEADER:]


def main() -> None:
    # (The states and monitors of located samples are written as the newest versions, the
    # others as the oldest: both versions' payloads are seeded.)
    states = [state.data for state in hostile_states()]
    write("state_bytes", [seed(data, OLDEST_STATE) for data in states])
    # A merge's input: a byte choosing both payloads' versions (its low bit the first's,
    # the next the second's), two giving the first payload's length, then both payloads;
    # pairs of the same kind and settings, so that the merge itself is reached.
    pairs = [
        (single("a", 12, seed=1).data, single("b", 20, seed=2).data),
        (batch("a", 30, seed=5, exact_budget=4).data, batch("b", 30, seed=6, exact_budget=4).data),
        (batch("a", 10, seed=7).data, batch("b", 0).data),
    ]
    states = [data for data in states if len(data) - HEADER < 1 << 16]
    pairs += [(data, data) for data in states]
    located = [data for data in states if version_of(data) > OLDEST_STATE]
    pairs += [(data, other) for data in located for other in states if other is not data]
    merges = [
        bytes([(version_of(a) - OLDEST_STATE) | (version_of(b) - OLDEST_STATE) << 1])
        + struct.pack(">H", len(a) - HEADER)
        + a[HEADER:]
        + b[HEADER:]
        for a, b in pairs
    ]
    write("state_merge", merges)
    monitors = [bytes(monitor.to_bytes()) for monitor in hostile_monitors()]
    write("rolling_bytes", [seed(data, OLDEST_ROLLING) for data in monitors])
    batches = [bytes(monitor.to_bytes()) for monitor in small_monitors()]
    write("batch_rolling_bytes", [seed(data, OLDEST_BATCH_ROLLING) for data in batches])
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
