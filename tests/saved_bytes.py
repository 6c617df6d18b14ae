"""The framing of what `to_bytes()` saves, for the tests that take it apart or forge it.

A saved state or monitor is a header of HEADER bytes (its kind's magic, 4 bytes; its
format version, u16 little-endian; the CRC-32 of the payload, u32 little-endian), then
the payload, which starts with the settings' JSON after its length as postcard's varint
(unsigned LEB128: seven bits a byte, low first, the high bit set on all but the last).
"""

from __future__ import annotations

import struct
import zlib

HEADER = 10


def with_crc(payload: bytes, *, magic: bytes, version: int) -> bytes:
    """`payload` under a header of `magic` and `version` and the payload's CRC-32."""
    return magic + struct.pack("<H", version) + struct.pack("<I", zlib.crc32(payload)) + payload


def varint(n: int) -> bytes:
    """`n` (0 or more) as postcard's varint."""
    out = bytearray()
    while True:
        out.append(n & 0x7F | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return bytes(out)


def read_varint(data: bytes) -> tuple[int, int]:
    """(value, bytes it took) of the varint `data` starts with."""
    value = 0
    for position, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * position)
        if not byte & 0x80:
            return value, position + 1
    raise AssertionError("unterminated varint")
