"""The relay's partitioner gives every key the partition aiokafka's would."""

import random

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from shared.messaging.broker import key_partition, murmur2


def test_murmur2_is_aiokafkas_for_every_length_and_byte() -> None:
    rng = random.Random(14)
    keys = [bytes(rng.getrandbits(8) for _ in range(length)) for length in range(70)]
    keys += [b"\xff" * length for length in range(9)] + [b"BENCH_1", "désk-ü".encode()]
    for key in keys:
        assert murmur2(key) == aiokafka_murmur2(key), key


def test_a_key_gets_the_partition_aiokafka_gives_it() -> None:
    partitioner = DefaultPartitioner()
    for partitions in ([0], [0, 1, 2, 3], list(range(7))):
        for number in range(500):
            key = f"request-{number}".encode()
            assert key_partition(key, partitions) == partitioner(key, partitions, partitions)


def test_a_record_without_a_key_goes_to_one_of_the_partitions() -> None:
    assert key_partition(None, [0, 1, 2, 3]) in {0, 1, 2, 3}
