"""Free loopback ports for the servers a test or the bench starts."""

from __future__ import annotations

import socket

from shared.processes import free_port, free_port_block


def test_no_port_is_handed_out_twice_before_its_server_binds_it() -> None:
    # A stack draws its service block, broker, mail sink and gateway one after another,
    # and binds them only when its processes start.
    base = free_port_block(6)
    handed_out = list(range(base, base + 6)) + [free_port() for _ in range(300)]
    assert len(set(handed_out)) == len(handed_out)


def test_a_free_port_can_be_listened_on() -> None:
    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
