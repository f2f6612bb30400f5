"""The shared cache without Redis: files under var/ holding JSON, never pickles, with counts
that several processes share."""

import os
import pickle
import time
import zlib

import pytest
from django.core.cache import caches

from converse.shared_cache import file_cache


@pytest.fixture
def shared_on_files(settings, tmp_path):
    """The "shared" cache as a deployment without Redis has it."""
    settings.CACHES = settings.CACHES | {"shared": file_cache(str(tmp_path))}
    return caches["shared"], tmp_path


class Planted:
    """Unpickled, this leaves a file behind: proof that a pickle was loaded."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_what_it_stores_is_json(shared_on_files):
    cache, folder = shared_on_files
    cache.set("report", {"opened": 3, "agents": [["alice", 2]]}, 60)
    (stored,) = [p for p in folder.iterdir() if p.name != "lock"]
    expiry, value = stored.read_bytes().split(b"\n", 1)
    assert float(expiry) == pytest.approx(time.time() + 60, abs=5)
    assert value == b'{"opened":3,"agents":[["alice",2]]}'
    assert cache.get("report") == {"opened": 3, "agents": [["alice", 2]]}


def test_a_pickle_in_the_cache_folder_is_never_loaded(shared_on_files, tmp_path):
    cache, folder = shared_on_files
    cache.set("report", 1, 60)
    (stored,) = [p for p in folder.iterdir() if p.name != "lock"]
    marker = tmp_path / "unpickled"
    # What Django's own file cache writes: a pickled expiry, then a compressed pickle.
    planted = zlib.compress(pickle.dumps(Planted(str(marker))))
    stored.write_bytes(pickle.dumps(time.time() + 60) + planted)
    assert cache.get("report") is None
    assert not cache.has_key("report")
    assert not marker.exists()
    assert not stored.exists()


def test_a_count_is_shared_between_processes_and_keeps_its_window(shared_on_files):
    cache, folder = shared_on_files
    other_process = type(cache)(str(folder), {})
    assert cache.add("count", 0, 3600)
    assert not other_process.add("count", 0, 3600)
    assert cache.incr("count") == 1
    assert other_process.incr("count") == 2
    assert cache.get("count") == 2
    (stored,) = [p for p in folder.iterdir() if p.name != "lock"]
    expiry = float(stored.read_bytes().split(b"\n", 1)[0])
    assert expiry == pytest.approx(time.time() + 3600, abs=5)


def test_a_flood_of_new_keys_never_drops_a_live_count(settings, shared_on_files):
    """Django's file cache deletes a random third of its files past 300 entries: a client
    asking resets for hundreds of made-up addresses would wipe the counts of the address it
    targets (and the worker's heartbeat). Only expired entries make room."""
    from converse.password_reset import reset_allowed

    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    settings.PASSWORD_RESET_LIMIT_PER_IP = 10**6
    cache, _folder = shared_on_files
    cache.set("worker-beat", 1.0, None)
    for _ in range(3):
        assert reset_allowed(email="alice@example.com", ip="10.0.0.1")
    for n in range(400):
        reset_allowed(email=f"made-up-{n}@example.com", ip="10.0.0.1")
    assert not reset_allowed(email="alice@example.com", ip="10.0.0.1")
    assert cache.get("worker-beat") == 1.0


def test_expired_entries_make_room(shared_on_files):
    cache, folder = shared_on_files
    cache._max_entries = 10
    for n in range(10):
        cache.set(f"old-{n}", n, 60)
    for path in folder.glob("*.json"):
        path.write_bytes(b"1\n0")  # expired long ago
    cache.set("new", 1, 60)
    assert [p.name for p in folder.glob("*.json")] == [os.path.basename(cache._key_to_file("new"))]


def test_a_client_over_its_limit_adds_no_entries(settings, shared_on_files):
    from converse.password_reset import reset_allowed

    settings.PASSWORD_RESET_LIMIT_PER_IP = 2
    _cache, folder = shared_on_files
    for n in range(20):
        reset_allowed(email=f"made-up-{n}@example.com", ip="10.0.0.9")
    assert len(list(folder.glob("*.json"))) == 1 + 2  # the client's count, two addresses
