"""Many concurrent Summarize streams through `addin serve --prod`, against the vendor alone.

Separate processes, so that nothing measures itself:

* the vendor simulator (``tests/fakes.py``), answering every call like a real model: first
  token after 500 ms, then 50 tokens per second, 100 tokens. It runs as ``--sim-processes``
  processes sharing one port (SO_REUSEPORT): one Python process of a few hundred threads
  starves its own accept loop of the GIL and cannot hold 400 streams, four can;
* ``addin serve --prod`` (gunicorn gthread; ``--workers``/``--threads`` or the defaults),
  whose Summarize goes to the simulator as an in-house ``openai_compatible`` model with no
  fallback (a failed call is an error here, not a quiet answer from the offline engine);
* the load client (this file with ``--client``): raw HTTP/1.1 over asyncio, one connection
  per request, N clients each looping ``--rounds`` requests. Client i starts after
  ``i/N`` of one stream's length, so N streams are open at any time (``--burst``: all at
  once). It only reads bytes and notes when they came; events are found afterwards.

For each N the client runs twice: straight at the simulator (the reference: the vendor's own
time to first token under that load) and through our server (a short JSON text,
``Accept: text/event-stream``). Time to first token (TTFT): our first ``delta`` event; the
simulator's first ``chat.completion.chunk``. (The simulator sends its headers at once; ours
holds its headers and ``meta`` until the model's first token, so our first byte is the
TTFT.) Added = ours - direct, at p50 and p99. Memory: RSS of the gunicorn master + workers,
sampled every 100 ms, peak per run. CPU: percent of one core over the run, per party.

Target: 300 concurrent streams with no errors and p99 added TTFT under 50 ms.

    .venv/bin/python bench/load.py [--quick] [--counts 50,100,200,400] [--rounds 3]
        [--workers W] [--threads T] [--burst] [--sim-processes 4]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import Simulator, Step  # noqa: E402

FIRST_TOKEN_S = 0.5
TOKENS_PER_S = 50.0
ANSWER = " ".join(f"word{i}" for i in range(100))  # 100 tokens: one chunk each
STREAM_S = FIRST_TOKEN_S + len(ANSWER.split()) / TOKENS_PER_S
TEXT = ("Lead levels fell in all four districts compared with the previous year. "
        "Nitrate concentrations stayed well below the legal limit at every site. "
        "Water quality improved overall, driven by the pipe replacement programme.")
_EVENT = re.compile(rb"event: (\w+)\n")
_ROUTES = {"openai": "/openai/v1", "compat": "/compat/v1", "anthropic": "/anthropic"}


# ------------------------------------------------------------------------ the load client


async def _one(host: str, port: int, request: bytes, timeout: float) -> dict[str, Any]:
    """One request on its own connection: the raw response and when each read arrived."""
    wall, started = time.time(), time.perf_counter()
    data, reads = bytearray(), []
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.write(request)
        deadline = started + timeout
        while True:
            chunk = await asyncio.wait_for(reader.read(65536),
                                           max(0.01, deadline - time.perf_counter()))
            if not chunk:
                break
            data += chunk
            reads.append((len(data), time.perf_counter() - started))
        writer.close()
        error = ""
    except (OSError, TimeoutError) as exc:
        error = type(exc).__name__
    return {"wall": wall, "data": bytes(data), "reads": reads, "error": error}


def _summarize(raw: dict[str, Any], direct: bool) -> dict[str, Any]:
    """A raw response → status, events and the times that matter (ms from its start)."""
    data, reads = raw["data"], raw["reads"]
    head, _, _ = data.partition(b"\r\n\r\n")
    body_at = len(head) + 4
    ends = [n for n, _ in reads]

    def at(offset: int | None) -> float | None:  # when the byte at ``offset`` had arrived
        if offset is None or not reads:
            return None
        return round(reads[min(bisect.bisect_right(ends, offset), len(reads) - 1)][1] * 1000, 2)

    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    out: dict[str, Any] = {"wall": raw["wall"], "status": status, "error": raw["error"],
                           "headers": at(len(head)) if head else None,
                           "total": round(reads[-1][1] * 1000, 2) if reads else None}
    if direct:
        first = data.find(b"chat.completion.chunk", body_at)
        out.update(first_token=at(first if first >= 0 else None), done=b"[DONE]" in data,
                   fallbacks=0)
        out["first_lasting_token"] = out["first_token"]
        return out
    events = [(m.group(1).decode(), m.end()) for m in _EVENT.finditer(data, body_at)]
    names = [name for name, _ in events]
    deltas = [end for name, end in events if name == "delta"]
    switched = [end for name, end in events if name == "fallback"]
    lasting = [end for end in deltas if not switched or end > switched[-1]]
    request_id = re.search(rb'"request_id": "([^"]+)"', data)
    out.update(
        request_id=request_id.group(1).decode() if request_id else "",
        first_token=at(deltas[0]) if deltas else None,
        first_lasting_token=at(lasting[0]) if lasting else None,
        done=bool(names) and names[-1] == "done",
        fallbacks=names.count("fallback"),
        restarted=b'"restarted": true' in data,
        fallback_reasons=[m.group(1).decode() for m in
                          re.finditer(rb'"reason": "([^"]+)"', data)],
        error_event=(data[data.find(b"event: error"):][:300].decode("utf-8", "replace")
                     if "error" in names else ""),
    )
    if not head.startswith(b"HTTP/1.1 200"):
        out["error_event"] = data[body_at:][:300].decode("utf-8", "replace")
    return out


def _request(host: str, port: int, direct: bool) -> bytes:
    if direct:
        path = "/compat/v1/chat/completions"
        body = json.dumps({"model": "llama-test", "stream": True, "max_tokens": 700,
                           "messages": [{"role": "system", "content": "Summarize."},
                                        {"role": "user", "content": TEXT}]}).encode()
    else:
        path = "/api/v1/summarize"
        body = json.dumps({"text": TEXT}).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


async def _drive(url: str, direct: bool, concurrency: int, rounds: int, duration: float,
                 timeout: float, ramp: float) -> list[dict[str, Any]]:
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    request = _request(host, int(port), direct)
    records: list[dict[str, Any]] = []
    until = time.time() + ramp + duration

    async def client(i: int) -> None:
        await asyncio.sleep(ramp * i / concurrency)
        done = 0
        while (time.time() < until) if duration else (done < rounds):
            records.append(_summarize(await _one(host, int(port), request, timeout), direct))
            done += 1

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return records


def client_main(argv: Sequence[str]) -> None:
    """``--client``: drive the load, print one JSON list of records on stdout."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--direct", action="store_true")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--duration", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--ramp", type=float, default=0.0)
    args = parser.parse_args(argv)
    with contextlib.suppress(ValueError, OSError):  # room for 400+ sockets
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    records = asyncio.run(_drive(args.url, args.direct, args.concurrency, args.rounds,
                                 args.duration, args.timeout, args.ramp))
    json.dump(records, sys.stdout)


def run_client(url: str, concurrency: int, *, direct: bool = False, rounds: int = 1,
               duration: float = 0.0, ramp: float = 0.0) -> tuple[list[dict[str, Any]], float]:
    """Run the load client in its own process; its records and CPU seconds. Client i of N
    starts after ``ramp * i / N`` s, then loops ``rounds`` times (or for ``duration`` s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, str(Path(__file__).resolve()), "--client", "--url", url,
               "--concurrency", str(concurrency), "--rounds", str(rounds),
               "--duration", str(duration), "--ramp", str(ramp)]
    if direct:
        command.append("--direct")
    done = subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(done.stdout), cpu


# ------------------------------------------------------------------------ the simulator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Simulators:
    """Simulator processes sharing one port; ``calls()`` counts what they served."""

    port: int
    processes: list[Any]
    _stats: Any

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, dialect: str) -> str:
        return self.base_url + _ROUTES[dialect]

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.is_alive()]


def _simulate(port: int, responder: Callable[[str], Step], ready: Any, stop: Any,
              stats: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    sim = Simulator(port=port)
    sim.responder = responder
    ready.put(os.getpid())
    stop.wait()
    counts = Counter(f"{r.dialect} {r.step.kind if r.step.kind != 'status' else r.step.status}"
                     for r in sim.requests)
    sim.close()
    stats.put(dict(counts))


@contextlib.contextmanager
def simulators(responder: Callable[[str], Step], processes: int = 4,
               calls: dict[str, int] | None = None) -> Iterator[Simulators]:
    """``processes`` simulators on one port, each answering every call with
    ``responder(dialect)`` (forked, so any callable will do). ``calls`` receives the counts
    of what they served, by "dialect kind", when the block ends."""
    context = multiprocessing.get_context("fork")
    ready, stats, stop = context.Queue(), context.Queue(), context.Event()
    port = free_port()
    children = [context.Process(target=_simulate, args=(port, responder, ready, stop, stats),
                                daemon=True) for _ in range(processes)]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=30)
    try:
        yield Simulators(port, children, stats)
    finally:
        stop.set()
        total: Counter[str] = Counter()
        for _ in children:
            with contextlib.suppress(Exception):
                total.update(stats.get(timeout=10))
        for child in children:
            child.join(timeout=10)
        if calls is not None:
            calls.update(total)


# ------------------------------------------------------------------------ our server


def models_toml(sim: Simulators, folder: Path) -> str:
    """Summarize → the in-house model (the simulator's OpenAI-compatible dialect) alone."""
    path = folder / "models.toml"
    path.write_text(f"""
[providers.inhouse]
kind = "openai_compatible"
model = "llama-test"
endpoint = "{sim.url('compat')}"
in_house = true

[features.summarize]
primary = "inhouse"
fallbacks = []
""")
    return str(path)


@dataclass
class Server:
    """`addin serve --prod` in a subprocess."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def pids(self) -> list[int]:
        """The master and its workers."""
        master = self.process.pid
        found = [master]
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(entry.path, "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                        found.append(int(entry.name))
        return found

    def get(self, path: str, timeout: float = 5) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    def stop(self) -> float:
        """SIGTERM; seconds until the server had exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - started


@contextlib.contextmanager
def production_server(folder: Path, config: str, env: Mapping[str, str] | None = None,
                      workers: int | None = None,
                      threads: int | None = None) -> Iterator[Server]:
    """`addin serve --prod` on a free port (plain HTTP, dev auth, its own SQLite file)."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    environment.update(ADDIN_HOST="127.0.0.1", ADDIN_PORT=str(port), ADDIN_TLS="false",
                       ADDIN_AUTH="dev", ADDIN_CONFIG=config,
                       ADDIN_DATABASE_URL=f"sqlite:///{folder / 'addin.sqlite'}",
                       **(env or {}))
    if workers:
        environment["ADDIN_WORKERS"] = str(workers)
    if threads:
        environment["ADDIN_THREADS"] = str(threads)
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "addin", "serve", "--prod"],
                                   cwd=ROOT, env=environment, stdout=out,
                                   stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        expected = int(environment.get("ADDIN_WORKERS") or len(os.sched_getaffinity(0)))
        while True:
            with contextlib.suppress(OSError):
                if server.get("/healthz", 1)[0] == 200 and len(server.pids()) > expected:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            server.stop()


# ------------------------------------------------------------------------ measuring


@dataclass
class Sampler:
    """Peak RSS (MB) and CPU seconds of some processes, sampled on a thread."""

    pids: Callable[[], list[int]]
    interval: float = 0.1
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _cpu: dict[int, float] = field(default_factory=dict)
    _cpu_start: dict[int, float] = field(default_factory=dict)

    def read(self) -> float:
        """Current RSS in MB (and CPU times noted)."""
        total, ticks = 0, os.sysconf("SC_CLK_TCK")
        for pid in self.pids():
            with contextlib.suppress(OSError, ValueError, IndexError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                self._cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
        return total / 1024

    def __enter__(self) -> Sampler:
        self.read()
        self._cpu_start = dict(self._cpu)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self.read())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.read())

    @property
    def cpu_s(self) -> float:
        return sum(v - self._cpu_start.get(pid, 0.0) for pid, v in self._cpu.items())


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ok(record: Mapping[str, Any]) -> bool:
    """The user got a whole answer: 200, no error event, ``done`` (``[DONE]``) at the end."""
    return (record["status"] == 200 and not record["error"] and record["done"]
            and not record.get("error_event"))


def failure_kinds(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for r in records:
        if not ok(r):
            kinds[r["error"] or (f"HTTP {r['status']}" if r["status"] != 200 else "")
                  or r.get("error_event", "")[:120] or "no done event"] += 1
    return dict(kinds)


@dataclass
class Run:
    n: int
    records: list[dict[str, Any]]
    wall_s: float
    cpu: dict[str, float]  # party → CPU seconds
    peak_mb: float = 0.0

    def values(self, key: str) -> list[float]:
        return [r[key] for r in self.records if ok(r) and r.get(key) is not None]

    @property
    def completed(self) -> int:
        return sum(ok(r) for r in self.records)

    def cpu_pct(self, party: str) -> float:
        return 100 * self.cpu.get(party, 0.0) / self.wall_s


def machine_cpu_s() -> float:
    """CPU seconds all cores of this machine have been busy (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(limit_s: float, busy_below: float = 0.25) -> float:
    """Wait (at most ``limit_s``) until the machine is nearly idle over 2 s: busy less than
    ``busy_below`` of one core. Returns the busy share seen last."""
    deadline = time.monotonic() + limit_s
    while True:
        before = machine_cpu_s()
        time.sleep(2)
        busy = (machine_cpu_s() - before) / 2
        if busy < busy_below or time.monotonic() > deadline:
            return busy
        time.sleep(3)


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(n: int, url: str, sim: Simulators, *, direct: bool, rounds: int, ramp: float,
            server: Server | None = None) -> Run:
    """One run of the client; CPU of each party, and of everything else on the machine
    ("other": other people's work on a shared machine skews the figures: it is shown)."""
    server_sampler = Sampler(server.pids if server else list)
    sim_sampler = Sampler(sim.pids)
    started, machine, own = time.perf_counter(), machine_cpu_s(), own_cpu_s()
    with server_sampler, sim_sampler:
        records, client_cpu = run_client(url, n, direct=direct, rounds=rounds, ramp=ramp)
    cpu = {"server": server_sampler.cpu_s, "sim": sim_sampler.cpu_s, "client": client_cpu}
    cpu["other"] = (machine_cpu_s() - machine) - sum(cpu.values()) - (own_cpu_s() - own)
    return Run(n, records, time.perf_counter() - started, cpu, server_sampler.peak_mb)


def print_table(pairs: Sequence[tuple[Run, Run]], idle_mb: float) -> None:
    head = (f"{'N':>4} | {'done':>9} | {'err':>3} | {'TTFT ours p50/p99':>17} | "
            f"{'direct p50/p99':>14} | {'added p50/p99':>13} | {'total ours/direct':>17} | "
            f"{'wall':>5} | {'RSS peak':>8} | {'CPU% srv/sim/cli/other':>22}")
    print(head)
    print("-" * len(head))
    for ours, direct in pairs:
        o, d = ours.values("first_token"), direct.values("first_token")
        added50, added99 = pct(o, .5) - pct(d, .5), pct(o, .99) - pct(d, .99)
        cpu = "/".join(f"{ours.cpu_pct(p):.0f}" for p in ("server", "sim", "client", "other"))
        errors = len(ours.records) - ours.completed
        total = f"{pct(ours.values('total'), .5):.0f}/{pct(direct.values('total'), .5):.0f}"
        print(f"{ours.n:>4} | {ours.completed:>4}/{len(ours.records):<4} | {errors:>3} | "
              f"{pct(o, .5):>7.0f}/{pct(o, .99):<9.0f} | {pct(d, .5):>6.0f}/{pct(d, .99):<7.0f} | "
              f"{added50:>5.0f}/{added99:<7.0f} | {total:>17} | {ours.wall_s:>4.0f}s | "
              f"{ours.peak_mb:>6.0f}MB | {cpu:>22}")
    print(f"ms; total = p50 of a whole stream; RSS = gunicorn master + workers, "
          f"{idle_mb:.0f} MB idle; CPU% of one core over our run, by our server, the "
          f"simulator, the client, and other work on this machine ({os.cpu_count()} CPUs = "
          f"{100 * (os.cpu_count() or 1)}%)")
    for ours, direct in pairs:
        if direct.completed < len(direct.records):
            print(f"  N={direct.n}: the direct reference itself failed "
                  f"{failure_kinds(direct.records)}")
        if ours.completed < len(ours.records):
            print(f"  N={ours.n} errors: {failure_kinds(ours.records)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 20, 50; one round")
    parser.add_argument("--counts", default="50,100,200,400")
    parser.add_argument("--rounds", type=int, default=3, help="requests per client per N")
    parser.add_argument("--workers", type=int, help="ADDIN_WORKERS (default: the CPUs)")
    parser.add_argument("--threads", type=int, help="ADDIN_THREADS (default 256)")
    parser.add_argument("--burst", action="store_true",
                        help="start all N clients at once (default: spread over one stream)")
    parser.add_argument("--sim-processes", type=int, default=4)
    parser.add_argument("--quiet-wait", type=float, default=0.0, metavar="S",
                        help="before each N, wait up to S seconds for the machine to be idle "
                        "(a shared machine: others' work skews the figures)")
    parser.add_argument("--chunk-tokens", type=int, default=1,
                        help="tokens per streamed chunk (default 1, as OpenAI streams; "
                        "Anthropic's deltas carry several): the same 50 tokens/s in fewer chunks")
    args = parser.parse_args()
    counts = [20, 50] if args.quick else [int(n) for n in args.counts.split(",")]
    rounds = 1 if args.quick else args.rounds
    ramp = 0.0 if args.burst else STREAM_S

    words = ANSWER.split()
    k = max(1, args.chunk_tokens)
    answer = " ".join("-".join(words[i:i + k]) for i in range(0, len(words), k))
    step = Step(text=answer, first_token_delay=FIRST_TOKEN_S,
                tokens_per_second=TOKENS_PER_S / k)  # the simulator paces chunks
    with simulators(lambda dialect: step, args.sim_processes) as sim, \
            tempfile.TemporaryDirectory() as tmp:
        config = models_toml(sim, Path(tmp))
        with production_server(Path(tmp), config, workers=args.workers,
                               threads=args.threads) as server:
            idle_mb = Sampler(server.pids).read()
            print(f"server: {len(server.pids()) - 1} workers, idle RSS {idle_mb:.0f} MB; "
                  f"each call: first token after {FIRST_TOKEN_S * 1000:.0f} ms, then "
                  f"{TOKENS_PER_S:.0f} tokens/s, {len(words)} tokens in chunks of {k}; {rounds} "
                  f"request(s) per client; {'all at once' if args.burst else 'spread starts'}"
                  f"; {args.sim_processes} simulator processes; {os.cpu_count()} CPUs",
                  flush=True)
            run_client(server.url, 16, rounds=2)  # warm every worker: models, connections
            pairs = []
            for n in counts:
                if args.quiet_wait:
                    busy = wait_for_quiet(args.quiet_wait)
                    print(f"  machine busy {100 * busy:.0f}% of a core before N={n}", flush=True)
                direct = measure(n, sim.base_url, sim, direct=True, rounds=rounds, ramp=ramp)
                ours = measure(n, server.url, sim, direct=False, rounds=rounds, ramp=ramp,
                               server=server)
                pairs.append((ours, direct))
                print(f"  N={n}: {ours.completed}/{len(ours.records)} through ours, "
                      f"{direct.completed}/{len(direct.records)} direct", flush=True)
            stop_s = server.stop()
    print()
    print_table(pairs, idle_mb)
    print(f"SIGTERM to exit: {stop_s:.1f} s")
    for ours, direct in pairs:
        if ours.n >= 300:
            added99 = (pct(ours.values("first_token"), .99)
                       - pct(direct.values("first_token"), .99))
            met = ours.completed == len(ours.records) and added99 < 50
            print(f"target at N={ours.n} (no errors, p99 added TTFT < 50 ms): "
                  f"{'met' if met else 'MISSED'}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client_main(sys.argv[2:])
    else:
        main()
