#!/usr/bin/env python3
"""Readiness probe for the local Kafka broker (standard library only, no pip packages).

Speaks the Kafka wire protocol over a raw socket:
  1. ApiVersions v0 -- proves a Kafka broker answers on host:port;
  2. Metadata v4 (all topics) -- proves the broker serves metadata and lists >= 1 live broker,
     i.e. it has caught up with the KRaft metadata log and clients can use it.

Usage: probe.py HOST PORT [TIMEOUT_SECONDS]
Exit codes: 0 ready; 1 nothing listens (connection refused / unreachable);
            2 something listens but is not (yet) a ready Kafka broker.
"""

from __future__ import annotations

import socket
import struct
import sys

API_METADATA = 3
API_VERSIONS = 18
METADATA_VERSION = 4  # non-flexible encoding, supported by Kafka 1.0 through 4.x
CLIENT_ID = b"vigil-kafka-probe"


class ProbeError(Exception):
    """The peer did not answer like a ready Kafka broker."""


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ProbeError("connection closed by peer")
        buf += chunk
    return bytes(buf)


def _request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    """Send one request (header v1) and return the response body (after header v0)."""
    header = struct.pack(">hhih", api_key, version, corr, len(CLIENT_ID)) + CLIENT_ID
    msg = header + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    if size < 4 or size > 64 * 1024 * 1024:
        raise ProbeError(f"implausible response size {size}")
    data = _recv_exact(sock, size)
    (got,) = struct.unpack_from(">i", data, 0)
    if got != corr:
        raise ProbeError(f"correlation id {got} != {corr}")
    return data[4:]


def _api_versions(sock: socket.socket) -> dict[int, tuple[int, int]]:
    body = _request(sock, API_VERSIONS, 0, 1, b"")
    error, count = struct.unpack_from(">hi", body, 0)
    if error != 0:
        raise ProbeError(f"ApiVersions error code {error}")
    out: dict[int, tuple[int, int]] = {}
    for i in range(count):
        key, lo, hi = struct.unpack_from(">hhh", body, 6 + 6 * i)
        out[key] = (lo, hi)
    return out


def _read_string(buf: bytes, pos: int) -> tuple[str | None, int]:
    (n,) = struct.unpack_from(">h", buf, pos)
    pos += 2
    if n < 0:
        return None, pos
    return buf[pos : pos + n].decode("utf-8", "replace"), pos + n


def _metadata_brokers(sock: socket.socket) -> tuple[list[str], str | None]:
    # topics = null (all topics), allow_auto_topic_creation = false
    body = _request(sock, API_METADATA, METADATA_VERSION, 2, struct.pack(">ib", -1, 0))
    pos = 4  # throttle_time_ms
    (count,) = struct.unpack_from(">i", body, pos)
    pos += 4
    brokers: list[str] = []
    for _ in range(count):
        (node_id,) = struct.unpack_from(">i", body, pos)
        pos += 4
        host, pos = _read_string(body, pos)
        (port,) = struct.unpack_from(">i", body, pos)
        pos += 4
        _rack, pos = _read_string(body, pos)
        brokers.append(f"{node_id}@{host}:{port}")
    cluster_id, pos = _read_string(body, pos)
    return brokers, cluster_id


def probe(host: str, port: int, timeout: float) -> tuple[int, str]:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return 1, f"no connection to {host}:{port}: {exc}"
    try:
        with sock:
            versions = _api_versions(sock)
            lo, hi = versions.get(API_METADATA, (0, -1))
            if not lo <= METADATA_VERSION <= hi:
                return 0, f"kafka answers ApiVersions at {host}:{port} (Metadata v{lo}-v{hi})"
            brokers, cluster_id = _metadata_brokers(sock)
    except (OSError, ProbeError, struct.error) as exc:
        return 2, f"{host}:{port} does not answer as a ready Kafka broker: {exc}"
    if not brokers:
        return 2, f"kafka at {host}:{port} lists no live broker yet"
    return 0, f"kafka ready at {host}:{port} cluster={cluster_id} brokers={','.join(brokers)}"


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 64
    timeout = float(argv[3]) if len(argv) == 4 else 3.0
    code, message = probe(argv[1], int(argv[2]), timeout)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
