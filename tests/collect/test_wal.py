"""The write-ahead log: framing, torn tails, group commit, sealing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from personae.collect.wal import WriteAheadLog, encode_record, list_segments, read_segment


def _append_all(wal: WriteAheadLog, batches: list[list[bytes]]) -> None:
    async def go() -> None:
        await asyncio.gather(*(wal.append(b) for b in batches))

    asyncio.run(go())


def test_records_round_trip_and_group_commit(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, "c0", 1 << 30)
    wal.start()
    batches = [[f"r{i}-{j}".encode() for j in range(3)] for i in range(200)]
    _append_all(wal, batches)
    wal.close()
    assert wal.fsyncs < 200  # concurrent appends shared their fsyncs
    (segment,) = list_segments(tmp_path, "c0")
    read = read_segment(segment)
    assert sorted(read.records) == sorted(r for b in batches for r in b)
    assert read.torn_bytes == 0


def test_torn_tail_is_detected_and_skipped(tmp_path: Path) -> None:
    segment = tmp_path / "c0-000000000001.wal"
    good = encode_record(b"one") + encode_record(b"two")
    segment.write_bytes(good + encode_record(b"three")[:-2])
    read = read_segment(segment)
    assert read.records == [b"one", b"two"]
    assert read.torn_bytes == len(encode_record(b"three")) - 2
    corrupt = bytearray(good + encode_record(b"three"))
    corrupt[-1] ^= 0xFF  # CRC mismatch
    segment.write_bytes(bytes(corrupt))
    assert read_segment(segment).records == [b"one", b"two"]
    segment.write_bytes(good + b"\x01\x02")  # a partial header
    assert read_segment(segment).records == [b"one", b"two"]


def test_seal_rotates_and_restart_continues_numbering(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, "c0", 1 << 30)
    wal.start()
    _append_all(wal, [[b"a"]])
    assert wal.sealed_segments() == []
    wal.seal()
    assert len(wal.sealed_segments()) == 1
    _append_all(wal, [[b"b"]])
    wal.close()
    assert [p.name for p in list_segments(tmp_path)] == [
        "c0-000000000001.wal",
        "c0-000000000002.wal",
    ]
    again = WriteAheadLog(tmp_path, "c0", 1 << 30)
    again.start()
    _append_all(again, [[b"c"]])
    again.close()
    assert list_segments(tmp_path)[-1].name == "c0-000000000003.wal"
    other = WriteAheadLog(tmp_path, "c1", 1 << 30)
    assert other.sealed_segments() == []


def test_segments_rotate_by_size(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path, "c0", 100)
    wal.start()
    for i in range(5):
        _append_all(wal, [[b"x" * 60 + bytes([i])]])
    wal.close()
    assert len(list_segments(tmp_path)) >= 3
