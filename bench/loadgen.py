"""A small, efficient HTTP/1.1 load generator: asyncio, raw sockets, keep-alive.

It runs as its own process (``python -m bench.loadgen SPEC.json``) so that it
does not share an interpreter lock with the code that prepares or checks the
benchmark, and prints one JSON object with what it measured. Every endpoint
of the benchmark is measured by this same client, so the ratios between them
are fair. Requests are given raw (the exact bytes to send), so the client does
no per-request work beyond writing them and parsing the status line and the
length of each answer.

Two modes:

``duration``
    ``connections`` keep-alive connections send the given requests round-robin
    for ``warmup`` seconds (not counted), then for ``duration`` seconds; the
    rate is the answers completed inside the measured window over its length.
``each``
    Every request is sent exactly once, by ``connections`` concurrent workers
    taking the next one in order; the rate is the number of requests over the
    time from the first send to the last answer. Each answer's status and time
    are returned.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time

HEADER_END = b"\r\n\r\n"


class ConnectionClosed(Exception):
    pass


class HTTPConnection(asyncio.Protocol):
    """One keep-alive connection that sends a request and waits for its whole answer."""

    def __init__(self):
        self.transport = None
        self.buf = bytearray()
        self.waiter: asyncio.Future | None = None
        self.need = -1
        self.status = 0
        self.chunked = False
        self.close_after = False
        self.head = b""
        self.lost = False

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionClosed(str(exc) if exc else "closed by server"))

    def data_received(self, data):
        self.buf += data
        if self.waiter is None:
            return
        if self.need < 0:
            end = self.buf.find(HEADER_END)
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.head = head
            self.status = int(head[9:12])
            start = end + 4
            pos = head.find(b"\r\ncontent-length:")
            if pos >= 0:
                stop = head.find(b"\r\n", pos + 2)
                length = int(head[pos + 17:stop if stop >= 0 else len(head)])
                self.need = start + length
                self.chunked = False
            else:
                self.chunked = b"\r\ntransfer-encoding: chunked" in head
                self.need = start
            self.close_after = b"\r\nconnection: close" in head
        if self.chunked:
            if not self.buf.endswith(b"0\r\n\r\n"):
                return
            self.need = len(self.buf)
        if len(self.buf) < self.need:
            return
        body_start = self.buf.find(HEADER_END) + 4
        body = bytes(self.buf[body_start:self.need])
        del self.buf[:self.need]
        self.need = -1
        waiter, self.waiter = self.waiter, None
        waiter.set_result((self.status, self.head, body))
        if self.close_after:
            self.transport.close()

    async def request(self, raw: bytes):
        if self.lost:
            raise ConnectionClosed("connection already closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


async def connect(host: str, port: int) -> HTTPConnection:
    _, protocol = await asyncio.get_running_loop().create_connection(HTTPConnection, host, port)
    return protocol


def _percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {}
    ordered = sorted(latencies)

    def at(q):
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)
    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(ordered[-1] * 1000, 2)}


async def run_duration(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    requests = [r.encode("latin-1") for r in spec["requests"]]
    expect = set(spec.get("expect", [200]))
    warmup, duration = float(spec.get("warmup", 2)), float(spec["duration"])
    status_counts: dict[int, int] = {}
    exceptions: dict[str, int] = {}
    samples: list[str] = []
    latencies: list[float] = []
    counter = [0]
    conns = [await connect(host, port) for _ in range(spec["connections"])]
    loop_start = time.perf_counter()
    measure_start = loop_start + warmup
    measure_end = measure_start + duration

    async def worker(i: int):
        conn = conns[i]
        while True:
            now = time.perf_counter()
            if now >= measure_end:
                return
            raw = requests[counter[0] % len(requests)]
            counter[0] += 1
            try:
                status, head, body = await conn.request(raw)
            except (ConnectionClosed, OSError) as err:
                done = time.perf_counter()
                if measure_start <= done <= measure_end:
                    exceptions[type(err).__name__] = exceptions.get(type(err).__name__, 0) + 1
                conn = await connect(host, port)
                continue
            done = time.perf_counter()
            if conn.lost:
                conn = await connect(host, port)
            if measure_start <= done <= measure_end:
                status_counts[status] = status_counts.get(status, 0) + 1
                latencies.append(done - now)
                if status not in expect and len(samples) < 3:
                    samples.append(f"{status} {raw[:80]!r}: {body[:300]!r}")

    cpu0 = os.times()
    await asyncio.gather(*(worker(i) for i in range(len(conns))))
    cpu1 = os.times()
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    completed = sum(status_counts.values())
    errors = sum(n for s, n in status_counts.items() if s not in expect) + sum(exceptions.values())
    return {
        "mode": "duration", "connections": len(conns), "duration": duration, "warmup": warmup,
        "completed": completed, "rps": round(completed / duration, 1), "status": status_counts,
        "errors": errors, "exceptions": exceptions, "samples": samples, "latency_ms": _percentiles(latencies),
        "client_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 2),
    }


async def run_each(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    requests = [r.encode("latin-1") for r in spec["requests"]]
    expect = set(spec.get("expect", [200]))
    results: list[list] = []
    exceptions: dict[str, int] = {}
    samples: list[str] = []
    next_index = [0]
    conns = [await connect(host, port) for _ in range(min(spec["connections"], len(requests)))]
    start = time.perf_counter()

    async def worker(i: int):
        conn = conns[i]
        while next_index[0] < len(requests):
            index = next_index[0]
            next_index[0] += 1
            sent = time.perf_counter()
            try:
                status, head, body = await conn.request(requests[index])
            except (ConnectionClosed, OSError) as err:
                exceptions[type(err).__name__] = exceptions.get(type(err).__name__, 0) + 1
                results.append([index, 0, round(sent - start, 6), round(time.perf_counter() - start, 6)])
                conn = await connect(host, port)
                continue
            done = time.perf_counter()
            results.append([index, status, round(sent - start, 6), round(done - start, 6)])
            if status not in expect and len(samples) < 3:
                samples.append(f"{status}: {body[:300]!r}")
            if conn.lost:
                conn = await connect(host, port)

    cpu0 = os.times()
    await asyncio.gather(*(worker(i) for i in range(len(conns))))
    cpu1 = os.times()
    elapsed = time.perf_counter() - start
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    status_counts: dict[int, int] = {}
    for _, status, _, _ in results:
        status_counts[status] = status_counts.get(status, 0) + 1
    errors = sum(1 for r in results if r[1] not in expect)
    return {
        "mode": "each", "connections": len(conns), "completed": len(results), "elapsed": round(elapsed, 3),
        "rps": round(len(results) / elapsed, 1), "status": status_counts, "errors": errors,
        "exceptions": exceptions, "samples": samples,
        "latency_ms": _percentiles([r[3] - r[2] for r in results]), "results": results,
        "client_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 2),
    }


def run(spec: dict) -> dict:
    runner = run_duration if spec.get("mode", "duration") == "duration" else run_each
    return asyncio.run(runner(spec))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__)
        print("usage: python -m bench.loadgen SPEC.json   (prints a JSON result)")
        return 2
    with open(argv[0]) as f:
        spec = json.load(f)
    json.dump(run(spec), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
