"""spoorlog.py -- reads spoor logs from Python, for the benchmark peers
(bench/profiles.py, bench/combined_log.py): the frames of docs/FORMAT.md
with Debian's python3-lz4, one reader for both scripts.

A log is LZ4 frames (magic 0x184D2204) of msgpack records, with frame
metadata in LZ4 skippable frames (0x184D2A50..0x184D2A5F), which are
skipped.  Damaged bytes are reported and the reader resynchronises on the
next magic number, as spoor's own reader does.
"""
import re

import lz4.frame

CHUNK = 1 << 20                      # bytes read at a time
DATA_MAGIC = 0x184D2204
SKIP_MIN, SKIP_MAX = 0x184D2A50, 0x184D2A5F
ANY_MAGIC = re.compile(rb'\x04\x22\x4d\x18|[\x50-\x5f]\x2a\x4d\x18')


def resync(buf, pos):
    """Where the next frame may start after a bad one at pos: the next
    magic number, else the last 3 bytes (a magic cut by the window)."""
    m = ANY_MAGIC.search(buf, pos + 1)
    return m.start() if m else max(pos + 1, len(buf) - 3)


def frame_contents(path, warn):
    """Yields the decompressed content of every intact data frame of the
    log, skipping metadata (skippable frames); damaged bytes are reported
    and the reader resynchronises on the next frame magic number.  Holds
    a window of the file, not the whole file.  warn(path, message) is
    called for each damaged stretch."""
    with open(path, 'rb') as f:
        buf, pos = b'', 0

        def more():
            nonlocal buf, pos
            data = f.read(CHUNK)
            if not data:
                return False
            buf = buf[pos:] + data          # drop what was consumed
            pos = 0
            return True

        while True:
            if pos >= CHUNK:                 # keep the window small
                buf, pos = buf[pos:], 0
            while len(buf) - pos < 8 and more():
                pass
            if len(buf) - pos < 8:
                if len(buf) > pos:
                    warn(path, f"{len(buf) - pos} trailing bytes")
                return
            magic = int.from_bytes(buf[pos:pos + 4], 'little')
            if SKIP_MIN <= magic <= SKIP_MAX:
                size = 8 + int.from_bytes(buf[pos + 4:pos + 8], 'little')
                while len(buf) - pos < size and more():
                    pass
                if len(buf) - pos < size:
                    warn(path, "truncated metadata frame")
                    return
                pos += size
                continue
            if magic != DATA_MAGIC:
                skip_to = resync(buf, pos)
                warn(path, f"garbage: {skip_to - pos} bytes")
                pos = skip_to
                continue
            # a data frame: feed the decompressor until the frame ends
            start, fed = pos, pos
            dec = lz4.frame.LZ4FrameDecompressor()
            parts = []
            try:
                while True:
                    parts.append(dec.decompress(memoryview(buf)[fed:]))
                    fed = len(buf)
                    if dec.eof:
                        pos = len(buf) - len(dec.unused_data or b"")
                        break
                    data = f.read(CHUNK)     # the frame goes on: keep it all
                    if not data:
                        raise EOFError("input ends inside the frame")
                    buf += data
            except (RuntimeError, EOFError) as e:   # corrupt, or cut short
                warn(path, f"damaged frame: {e}")
                pos = resync(buf, start)
                continue
            yield b''.join(parts)
