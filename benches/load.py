#!/usr/bin/env python3
"""Load harness for `crosswalk serve` over loopback (issue 18). Not a test: it prints numbers.

    python3 benches/load.py starvation [--binary PATH] [--isolate true|false] [--per-client N]
    python3 benches/load.py mixed [--binary PATH] [--seconds 60] [--connections 200] [--think MS]

Each run starts the binary (default: $CARGO_TARGET_DIR/debug/crosswalk, else target/debug) over a
fresh data directory with the shipped seeds, on a free port of 127.0.0.1, and stops it after.

starvation: 24 concurrent cross-product queries from 127.0.0.2, then, while they run, a simple
ASK from 127.0.0.3; prints the ASK's status and latency, and the explosive queries' statuses.

mixed: analyst traffic from `--connections` keep-alive connections, each from its own address
(127.0.1.x, 127.0.2.x: one analyst each) — point lookups, saved queries, search, malformed
requests — plus 4 connections from 127.0.0.2 sending explosive queries without pause. With
`--think 0` (the default) every analyst sends the next request the moment an answer arrives (a
closed loop: the run measures the server saturated, and latency is queueing by Little's law);
with `--think MS` each pauses a random time (exponential, mean MS) between an answer and the
next request, as a person reading a page does, so the offered rate is about connections /
(think + latency). Reports
errors by kind per request class (an intended answer is not an error: 400 for a malformed
request, 503/429 for an explosive one), latency percentiles per class, and the server's RSS
(with its query workers) every 5 s. At saturation (`--think 0`) this client's 200 threads share
one interpreter lock and its latencies include that queue; `cargo bench --bench load`
(benches/load.rs) sends the same mix from one Rust thread and is the closed-loop measurement
of record (BENCHMARKS.md "Mixed load", sixth round).
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "ASK { ?s a ?type }"
JSON = "application/sparql-results+json"


def default_binary():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug", "crosswalk")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`crosswalk serve` over a fresh data directory; stopped (SIGTERM) on exit."""

    def __init__(self, binary, settings=""):
        self.dir = tempfile.mkdtemp(prefix="crosswalk-load-")
        self.port = free_port()
        config = os.path.join(self.dir, "crosswalk.toml")
        with open(config, "w") as f:
            f.write(f'bind = "127.0.0.1:{self.port}"\n{settings}\n[crawl]\nschedule = false\n'
                    "[retention]\nenabled = false\n")
        env = dict(os.environ, CROSSWALK_LOG="error")
        self.process = subprocess.Popen(
            [binary, "serve", "--data", os.path.join(self.dir, "data"), "--config", config],
            cwd=ROOT, env=env)
        deadline = time.time() + 600
        while True:
            if self.process.poll() is not None:
                sys.exit(f"the server exited on start ({self.process.returncode})")
            try:
                status, _, _ = request("127.0.0.1", self.port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                sys.exit("the server did not come up")
            time.sleep(0.2)

    def rss_kib(self):
        """Resident memory of the server and its direct children (query workers), in KiB."""
        total, pids = 0, [self.process.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                            pids.append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total, len(pids) - 1

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def connection(port, source, timeout=120):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))


def request(source, port, method, path, body=None, headers=None, conn=None):
    """One request; returns (status, body bytes, the connection to reuse or None)."""
    own = conn is None
    conn = conn or connection(port, source)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if own or response.will_close:
        conn.close()
        conn = None
    return response.status, data, conn


def sparql_path(query):
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def starvation(args):
    settings = f"[sparql]\nisolate = {args.isolate}\n"
    if args.per_client:
        settings += f"max_per_client = {args.per_client}\n"
    server = Server(args.binary, settings)
    try:
        statuses = []

        def explode():
            try:
                status, _, _ = request("127.0.0.2", server.port, "GET", sparql_path(EXPLOSIVE),
                                       headers={"accept": JSON})
            except OSError as error:
                status = type(error).__name__
            statuses.append(status)

        threads = [threading.Thread(target=explode) for _ in range(24)]
        for t in threads:
            t.start()
        time.sleep(1)
        started = time.time()
        status, _, _ = request("127.0.0.3", server.port, "GET", sparql_path(SIMPLE),
                               headers={"accept": JSON})
        took = time.time() - started
        for t in threads:
            t.join()
        counts = {}
        for s in statuses:
            counts[str(s)] = counts.get(str(s), 0) + 1
        print(json.dumps({"isolate": args.isolate, "max_per_client": args.per_client or "default",
                          "simple_status": status, "simple_seconds": round(took, 3),
                          "explosive_statuses": counts}))
    finally:
        server.stop()


def mixed(args):
    server = Server(args.binary)
    port = server.port
    try:
        # Inputs drawn from the catalogue itself.
        _, body, _ = request("127.0.0.1", port, "GET", sparql_path(
            "SELECT DISTINCT ?s WHERE { ?s a ?t } LIMIT 500"), headers={"accept": JSON})
        subjects = [b["s"]["value"] for b in json.loads(body)["results"]["bindings"]
                    if b["s"]["type"] == "uri"]
        _, body, _ = request("127.0.0.1", port, "GET", "/api/queries")
        listing = json.loads(body)
        listing = listing.get("queries", listing) if isinstance(listing, dict) else listing
        saved = [q["name"] for q in listing
                 if not any(p.get("required") for p in q.get("parameters", []))]
        words = ["risk", "transparency", "incident", "governance", "testing", "data protection",
                 "high-risk", "accountability", "model", "audit"]
        malformed = [sparql_path("SELEC ?x WHERE {"), "/sparql?query=", "/api/search?q=&limit=x",
                     "/api/queries/no-such-query", "/api/search?q=risk&limit=-1"]

        classes = {
            "lookup": (50, lambda: sparql_path(
                f"SELECT ?p ?o WHERE {{ <{random.choice(subjects)}> ?p ?o }}"), {200}),
            "saved": (20, lambda: f"/api/queries/{random.choice(saved)}", {200}),
            "search": (20, lambda: "/api/search?" + urllib.parse.urlencode(
                {"q": random.choice(words)}), {200}),
            "malformed": (10, lambda: random.choice(malformed), {400, 404}),
        }
        names = list(classes)
        weights = [classes[n][0] for n in names]
        results = {n: {"latency": [], "errors": {}} for n in names + ["explosive"]}
        lock = threading.Lock()
        begun = time.time()
        stop = begun + args.seconds
        # Errors of the analysts' classes per 10 s of the run: at the start (cold caches) or
        # all along.
        windows = {}

        def record(kind, took, outcome, intended):
            with lock:
                if outcome in intended:
                    results[kind]["latency"].append(took)
                else:
                    errors = results[kind]["errors"]
                    errors[str(outcome)] = errors.get(str(outcome), 0) + 1
                    if kind != "explosive":
                        window = int(time.time() - begun) // 10 * 10
                        windows[window] = windows.get(window, 0) + 1

        def analyst(source):
            conn = None
            while time.time() < stop:
                kind = random.choices(names, weights)[0]
                path = classes[kind][1]()
                started = time.time()
                try:
                    if conn is None:
                        conn = connection(port, source)
                    status, _, conn = request(source, port, "GET", path,
                                              headers={"accept": JSON}, conn=conn)
                except (OSError, http.client.HTTPException) as error:
                    status, conn = type(error).__name__, None
                record(kind, time.time() - started, status, classes[kind][2])
                if args.think > 0:
                    time.sleep(random.expovariate(1000.0 / args.think))

        def attacker():
            while time.time() < stop:
                started = time.time()
                try:
                    status, _, _ = request("127.0.0.2", port, "GET", sparql_path(EXPLOSIVE),
                                           headers={"accept": JSON})
                except (OSError, http.client.HTTPException) as error:
                    status = type(error).__name__
                record("explosive", time.time() - started, status, {503, 429})

        rss = []

        def sample():
            while time.time() < stop:
                rss.append((round(args.seconds - (stop - time.time())), *server.rss_kib()))
                time.sleep(5)

        threads = [threading.Thread(target=analyst, args=(f"127.0.{1 + i // 250}.{1 + i % 250}",))
                   for i in range(args.connections)]
        threads += [threading.Thread(target=attacker) for _ in range(4)]
        threads.append(threading.Thread(target=sample))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss.append((args.seconds, *server.rss_kib()))

        think = f"think time {args.think} ms (mean)" if args.think > 0 else "no think time"
        answered = sum(len(r["latency"]) + sum(r["errors"].values()) for r in results.values())
        print(f"{args.connections} analyst connections ({think}) + 4 explosive, {args.seconds} s:"
              f" {answered} requests answered, {answered / args.seconds:.0f}/s")
        print(f"{'class':<10} {'ok':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  errors")
        for name, r in results.items():
            lat = r["latency"]
            print(f"{name:<10} {len(lat):>7} {percentile(lat, 50) * 1000:>8.1f} "
                  f"{percentile(lat, 90) * 1000:>8.1f} {percentile(lat, 99) * 1000:>8.1f} "
                  f"{(max(lat) if lat else float('nan')) * 1000:>8.1f}  {r['errors'] or '-'}")
        if windows:
            print("analyst errors by 10 s of the run: " + ", ".join(
                f"{w}-{w + 10}s {n}" for w, n in sorted(windows.items())))
        print("RSS (server + workers), MiB: " + ", ".join(
            f"{t}s {kib / 1024:.0f} ({workers} workers)" for t, kib, workers in rss))
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("starvation")
    s.add_argument("--binary", default=default_binary())
    s.add_argument("--isolate", default="true", choices=["true", "false"])
    s.add_argument("--per-client", type=int, default=0)
    m = sub.add_parser("mixed")
    m.add_argument("--binary", default=default_binary())
    m.add_argument("--seconds", type=int, default=60)
    m.add_argument("--connections", type=int, default=200)
    m.add_argument("--think", type=float, default=0,
                   help="mean pause between an answer and an analyst's next request, ms")
    args = parser.parse_args()
    {"starvation": starvation, "mixed": mixed}[args.command](args)


if __name__ == "__main__":
    main()
