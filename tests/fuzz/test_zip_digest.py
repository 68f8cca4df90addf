"""Property: the digest fed while a package is written equals the finished file's sha256."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager.zipwriter import CHUNK, Entry, write_zip
from tests.fuzz.counts import CASES, EXAMPLES

sizes = st.one_of(st.integers(0, 100), st.integers(CHUNK - 2, CHUNK + 2),
                  st.integers(0, 3 * CHUNK))
entries = st.lists(st.tuples(st.sampled_from([".mp4", ".html", ".png", ".js"]), sizes,
                             st.booleans(), st.integers(0, 255)), max_size=12)


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=entries)
def test_streamed_digest_matches_the_file(spec):
    CASES["zipwriter: streamed sha256"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        items = []
        for i, (suffix, size, on_disk, byte) in enumerate(spec):
            data = bytes([byte]) * size if byte % 2 else hashlib.shake_256(
                bytes([byte, i])).digest(size) if size else b""
            if on_disk:
                src = Path(tmp) / f"src{i}"
                src.write_bytes(data)
                items.append(Entry(f"f{i}{suffix}", source=src))
            else:
                items.append(Entry(f"f{i}{suffix}", data))
        digest = hashlib.sha256()
        path = write_zip(Path(tmp) / "out.zip", items, digest)
        assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
