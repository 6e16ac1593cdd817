#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A one-broker Kafka test double for the topic check's creation path.

librdkafka 2.0.2's mock cluster has neither CreateTopics nor a controller,
so the successful creation and the refusals cannot be produced with it.
This double speaks just enough of the wire protocol for librdkafka's
metadata requests and admin client, and nothing else:

- ApiVersions v0..v3 (v3 is what librdkafka asks first), advertising only
  what is below;
- Metadata v1..v4: the broker is itself, and so is the controller; an
  unknown topic is UNKNOWN_TOPIC_OR_PART, never auto-created;
- CreateTopics v0..v4 (non-flexible): each topic asked for is printed as a
  JSON line on stdout (name, partitions, replication factor, configs), then
  created, or answered with the error configured for its name; a "hidden"
  topic appears only when asked for, answered TOPIC_ALREADY_EXISTS (another
  client created it meanwhile).

Any other request closes the connection. It listens on 127.0.0.1 only,
prints "PORT <n>" first, and exits when its stdin closes or after
--timeout seconds, whichever comes first.

Usage: kafka_double.py [--topic NAME:PARTITIONS]... [--hidden NAME:PARTITIONS]...
                       [--refuse NAME:CODE:MESSAGE]... [--timeout SECONDS]
"""

import argparse
import json
import select
import socketserver
import struct
import sys
import threading

API_METADATA, API_APIVERSIONS, API_CREATETOPICS = 3, 18, 19
# (min, max) of each API this double implements.
VERSIONS = {API_METADATA: (1, 4), API_APIVERSIONS: (0, 3), API_CREATETOPICS: (0, 4)}
NODE_ID = 1
UNKNOWN_TOPIC_OR_PART, UNSUPPORTED_VERSION, TOPIC_ALREADY_EXISTS = 3, 35, 36
MAX_FRAME = 1 << 20


class Reader:
    """Big-endian fields of one request."""

    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def array(self, item):
        n = self.take(">i")
        return None if n < 0 else [item() for _ in range(n)]


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def string(s):
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def array(items, enc):
    return i32(len(items)) + b"".join(enc(x) for x in items)


def uvarint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


class Cluster:
    """The topics and what to answer; shared by the connections."""

    def __init__(self, topics, hidden, refusals):
        self.lock = threading.Lock()
        self.topics = dict(topics)  # name -> partition count
        self.hidden = dict(hidden)  # name -> partition count, not in Metadata yet
        self.refusals = refusals    # name -> (error code, message)
        self.port = 0

    def api_versions(self, version):
        # An unknown version is answered in v0 with UNSUPPORTED_VERSION,
        # as Kafka does; librdkafka then retries with the highest one listed.
        keys = sorted(VERSIONS.items())
        if version > 3:
            return i16(UNSUPPORTED_VERSION) + array(
                keys, lambda kv: i16(kv[0]) + i16(kv[1][0]) + i16(kv[1][1]))
        if version < 3:
            body = i16(0) + array(keys, lambda kv: i16(kv[0]) + i16(kv[1][0]) + i16(kv[1][1]))
            return body + (i32(0) if version >= 1 else b"")
        # v3 is flexible: compact arrays and tagged fields (none here).
        return (i16(0) + uvarint(len(keys) + 1)
                + b"".join(i16(k) + i16(lo) + i16(hi) + b"\0" for k, (lo, hi) in keys)
                + i32(0) + b"\0")

    def metadata(self, version, r):
        asked = r.array(r.string)  # None: all topics
        with self.lock:
            names = sorted(self.topics) if asked is None else asked
            found = [(n, self.topics.get(n)) for n in names]
        broker = i32(NODE_ID) + string("127.0.0.1") + i32(self.port) + string(None)
        body = i32(0) if version >= 3 else b""
        body += array([broker], lambda b: b)
        body += string("rsd-test-double") if version >= 2 else b""
        body += i32(NODE_ID)

        def partition(p):
            return i16(0) + i32(p) + i32(NODE_ID) + array([NODE_ID], i32) + array([NODE_ID], i32)

        def topic(t):
            name, count = t
            if count is None:
                return i16(UNKNOWN_TOPIC_OR_PART) + string(name) + b"\0" + i32(0)
            return i16(0) + string(name) + b"\0" + array(list(range(count)), partition)

        return body + array(found, topic)

    def create_one(self, version, name, partitions, replication, configs):
        print(json.dumps({"name": name, "partitions": partitions,
                          "replication_factor": replication, "configs": configs,
                          "version": version}), flush=True)
        with self.lock:
            if name in self.refusals:
                return self.refusals[name]
            if name in self.hidden:
                self.topics[name] = self.hidden.pop(name)
            if name in self.topics:
                return TOPIC_ALREADY_EXISTS, "Topic '%s' already exists." % name
            self.topics[name] = partitions if partitions > 0 else 1
        return 0, None

    def create_topics(self, version, r):
        def topic():
            name, partitions, replication = r.string(), r.take(">i"), r.take(">h")
            r.array(lambda: (r.take(">i"), r.array(lambda: r.take(">i"))))
            configs = r.array(lambda: (r.string(), r.string()))
            return name, partitions, replication, dict(configs)

        asked = r.array(topic)
        answers = [(t[0],) + self.create_one(version, *t) for t in asked]

        def answer(a):
            name, code, message = a
            return string(name) + i16(code) + (string(message) if version >= 1 else b"")

        return (i32(0) if version >= 2 else b"") + array(answers, answer)


class Handler(socketserver.BaseRequestHandler):
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def handle(self):
        cluster = self.server.cluster
        while True:
            head = self.recv_exact(4)
            if head is None:
                return
            size = struct.unpack(">i", head)[0]
            if not 0 < size <= MAX_FRAME:
                return
            frame = self.recv_exact(size)
            if frame is None:
                return
            r = Reader(frame)
            key, version, correlation = r.take(">h"), r.take(">h"), r.take(">i")
            r.string()  # client id
            if key == API_APIVERSIONS:
                body = cluster.api_versions(version)  # the body is not needed
            elif key in VERSIONS and VERSIONS[key][0] <= version <= VERSIONS[key][1]:
                body = (cluster.metadata if key == API_METADATA
                        else cluster.create_topics)(version, r)
            else:
                print(json.dumps({"unexpected_api": key, "version": version}), flush=True)
                return
            # Every answer here uses response header v0 (ApiVersions always does).
            out = i32(correlation) + body
            self.request.sendall(i32(len(out)) + out)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def pair(text, parts):
    fields = text.split(":", parts - 1)
    if len(fields) != parts:
        raise argparse.ArgumentTypeError("expected %d fields separated by ':'" % parts)
    return fields


def main():
    ap = argparse.ArgumentParser(description="Kafka test double (see the module comment)")
    ap.add_argument("--topic", action="append", default=[], type=lambda s: pair(s, 2))
    ap.add_argument("--hidden", action="append", default=[], type=lambda s: pair(s, 2))
    ap.add_argument("--refuse", action="append", default=[], type=lambda s: pair(s, 3))
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    cluster = Cluster({n: int(p) for n, p in args.topic}, {n: int(p) for n, p in args.hidden},
                      {n: (int(c), m) for n, c, m in args.refuse})
    server = Server(("127.0.0.1", 0), Handler)
    server.cluster = cluster
    cluster.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % cluster.port, flush=True)
    # Bounded: ends when the test closes stdin, or at the timeout.
    select.select([sys.stdin], [], [], args.timeout)
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
