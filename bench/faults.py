"""Failover under load: a flaky primary vendor, then a full outage, with a healthy fallback.

The same setup as ``bench/load.py`` (simulator processes, `addin serve --prod`, a separate
asyncio client; each call streams 100 tokens, the first after 500 ms, then 50/s), with
Summarize assigned to ``gpt`` (OpenAI dialect) and the fallbacks ``claude`` (Anthropic
dialect, always healthy) then ``local`` (the offline engine). N clients loop for three
phases:

1. flaky: ``--fail-rate`` (30%) of gpt's calls fail, spread evenly over the failures the
   runner handles: 429 with Retry-After 1 s, 500, 503, overloaded (503 "engine overloaded"),
   a stream cut after 3 chunks, a stall after 2 chunks (longer than the stall timeout,
   set to 2 s here), a malformed chunk, an error event inside the stream;
2. down: every gpt call gets 503 Service Unavailable for ``--down`` seconds (60);
3. flaky again: the outage is over (the circuits should close again).

Reported: user-visible failures (no ``done``, an ``error`` event, or not 200: must be 0);
requests that failed over, by reason, and those whose text restarted; time to the first
token of the answer that stays (after the last ``fallback``) with and without a fallback,
p50/p99, per phase; the circuit transitions each gunicorn worker went through (each has its
own breakers), read from ``/readyz`` every 250 ms over one kept-alive connection per worker
(which worker holds a connection is read from /proc); what the vendors were sent.

    .venv/bin/python bench/faults.py [--quick] [--clients 100] [--down 60] [--flaky 40]
        [--fail-rate 0.3] [--cooldown 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from addin.store import Store  # noqa: E402
from bench.load import (  # noqa: E402
    ANSWER,
    FIRST_TOKEN_S,
    TOKENS_PER_S,
    Sampler,
    Server,
    Simulators,
    failure_kinds,
    machine_cpu_s,
    ok,
    own_cpu_s,
    pct,
    production_server,
    run_client,
    simulators,
    wait_for_quiet,
)
from tests.fakes import Step  # noqa: E402

STALL_TIMEOUT_S = 2.0
_PACE: dict[str, Any] = {"text": ANSWER, "first_token_delay": FIRST_TOKEN_S,
                         "tokens_per_second": TOKENS_PER_S}
FAILURES: dict[str, Step] = {
    "429 Retry-After 1s": Step("status", status=429, retry_after=1, first_token_delay=0.1),
    "500": Step("status", status=500, first_token_delay=0.1),
    "503": Step("status", status=503, message="Service Unavailable", first_token_delay=0.1),
    "overloaded": Step("status", status=503, first_token_delay=0.1),  # "engine overloaded"
    "stream cut": Step("cut", after_chunks=3, **_PACE),
    "stall": Step("stall", after_chunks=2, stall_seconds=STALL_TIMEOUT_S + 3, **_PACE),
    "malformed": Step("malformed", after_chunks=3, **_PACE),
    "error in stream": Step("error_in_stream", after_chunks=3, **_PACE),
}
HEALTHY = Step(**_PACE)
DOWN = Step("status", status=503, message="Service Unavailable", first_token_delay=0.05)


def responder(fail_rate: float, outage: Any, down_s: float) -> Callable[[str], Step]:
    """gpt (openai): down during the outage, else failing ``fail_rate`` of its calls;
    claude (anthropic): always healthy. ``outage`` is a shared value: the outage's start
    (epoch seconds), 0 before it is scheduled."""
    state: dict[str, random.Random] = {}

    def answer(dialect: str) -> Step:
        if dialect != "openai":
            return HEALTHY
        rng = state.setdefault("rng", random.Random(os.getpid()))
        start = outage.value
        if start and start <= time.time() < start + down_s:
            return DOWN
        if rng.random() < fail_rate:
            return rng.choice(list(FAILURES.values()))
        return HEALTHY

    return answer


def models_toml(sim: Simulators, folder: Path) -> str:
    path = folder / "models.toml"
    path.write_text(f"""
[providers.gpt]
kind = "openai"
model = "gpt-sim"
endpoint = "{sim.url('openai')}"
api_key = "env:SIM_OPENAI_KEY"
price_in_per_mtok = 2.5
price_out_per_mtok = 10.0

[providers.claude]
kind = "anthropic"
model = "claude-sim"
endpoint = "{sim.url('anthropic')}"
api_key = "env:SIM_ANTHROPIC_KEY"
price_in_per_mtok = 3.0
price_out_per_mtok = 15.0

[features.summarize]
primary = "gpt"
fallbacks = ["claude", "local"]
""")
    return str(path)


# ------------------------------------------------------------------------ circuits per worker


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of a loopback TCP connection (from /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":")[1], fields[2].split(":")[1]
        if int(local, 16) == server_port and int(remote, 16) == client_port:
            return fields[9]
    return None


def _owner(pids: Sequence[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in os.scandir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(fd.path) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


@dataclass
class CircuitWatch:
    """Polls /readyz on one kept-alive connection per worker; notes each circuit change."""

    server: Server
    interval: float = 0.25
    t0: float = field(default_factory=time.time)
    transitions: list[tuple[float, int, str, str, str]] = field(default_factory=list)
    polls: Counter[int] = field(default_factory=Counter)
    lost: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _connect(self, want: set[int]) -> dict[int, http.client.HTTPConnection]:
        host, port = self.server.url.rsplit("/", 1)[-1].rsplit(":", 1)
        found: dict[int, http.client.HTTPConnection] = {}
        for _ in range(60):
            if set(found) >= want:
                break
            connection = http.client.HTTPConnection(host, int(port), timeout=5)
            connection.request("GET", "/readyz")
            connection.getresponse().read()
            inode = _socket_inode(int(port), connection.sock.getsockname()[1])
            pid = _owner(sorted(want - set(found)), inode) if inode else None
            if pid is None:
                connection.close()
                time.sleep(0.05)
            else:
                found[pid] = connection
        return found

    def start(self) -> CircuitWatch:
        workers = set(self.server.pids()[1:])
        self.connections = self._connect(workers)
        self.states: dict[tuple[int, str], str] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for pid, connection in list(self.connections.items()):
                try:
                    connection.request("GET", "/readyz")
                    body = json.loads(connection.getresponse().read())
                except (OSError, http.client.HTTPException, ValueError):
                    self.lost += 1  # the worker closed it (or is busy): reconnect to it
                    connection.close()
                    self.connections.pop(pid)
                    self.connections.update(self._connect({pid}))
                    continue
                self.polls[pid] += 1
                now = time.time() - self.t0
                for provider, circuit in body.get("circuits", {}).items():
                    before = self.states.get((pid, provider), "closed")
                    if circuit["state"] != before:
                        self.transitions.append((now, pid, provider, before, circuit["state"]))
                        self.states[(pid, provider)] = circuit["state"]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self.connections.values():
            connection.close()


# ------------------------------------------------------------------------ report


def _phase(record: Mapping[str, Any], outage_start: float, down_s: float) -> str:
    started = record["wall"]
    if started < outage_start:
        return "1 flaky"
    return "2 down" if started < outage_start + down_s else "3 flaky again"


def _ms(values: Sequence[float]) -> str:
    if not values:
        return f"{'-':>12}"
    return f"{pct(values, .5):>5.0f}/{pct(values, .99):<6.0f}"


def _path(record: Mapping[str, Any], attempts: Mapping[str, list[tuple[str, str]]]) -> str:
    """How the answer came: first try, retries on gpt, or failed over (and why)."""
    tried = attempts.get(record["request_id"], [])
    if not record["fallbacks"]:
        return "gpt, first try" if len(tried) <= 1 else "gpt, after retries"
    if set(record["fallback_reasons"]) == {"circuit_open"}:
        return "fallback, circuit open"
    return "fallback, after gpt failed"


def report(records: list[dict[str, Any]], outage_start: float, down_s: float,
           watch: CircuitWatch, calls: Mapping[str, int], cpu: Mapping[str, float],
           wall: float, attempts: Mapping[str, list[tuple[str, str]]]) -> None:
    failures = failure_kinds(records)
    print(f"\nrequests: {len(records)}; user-visible failures: {sum(failures.values())}"
          f"{' ' + str(failures) if failures else ''}")
    phases = sorted({_phase(r, outage_start, down_s) for r in records})
    head = (f"{'phase':<14} | {'requests':>8} | {'failed over':>11} | {'restarted':>9} | "
            f"{'TTFT no fallback':>16} | {'TTFT with fallback':>18} | "
            f"{'1st token, fallback':>19} | reasons")
    print(head)
    print("-" * len(head))
    for phase in [*phases, "all"]:
        group = [r for r in records
                 if ok(r) and (phase == "all" or _phase(r, outage_start, down_s) == phase)]
        over = [r for r in group if r["fallbacks"]]
        plain = [r for r in group if not r["fallbacks"]]
        reasons = Counter(reason for r in over for reason in r["fallback_reasons"])
        share = f"{len(over)} ({100 * len(over) / max(1, len(group)):.0f}%)"
        print(f"{phase:<14} | {len(group):>8} | {share:>11} | "
              f"{sum(bool(r['restarted']) for r in over):>9} | "
              f"{_ms([r['first_lasting_token'] for r in plain]):>16} | "
              f"{_ms([r['first_lasting_token'] for r in over]):>18} | "
              f"{_ms([r['first_token'] for r in over]):>19} | "
              f"{', '.join(f'{k} {v}' for k, v in reasons.most_common())}")
    print("TTFT = ms from the request to the first token of the answer that stays (after the "
          "last fallback); '1st token, fallback' = the first token shown at all, which a "
          "restart then replaces")
    print(f"\n{'how the answer came (all phases)':<34} | {'requests':>8} | {'TTFT p50/p99':>12} | "
          f"{'total p50/p99':>13}")
    paths: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if ok(r):
            paths.setdefault(_path(r, attempts), []).append(r)
    for name in ("gpt, first try", "gpt, after retries", "fallback, circuit open",
                 "fallback, after gpt failed"):
        group = paths.get(name, [])
        print(f"{name:<34} | {len(group):>8} | "
              f"{_ms([r['first_lasting_token'] for r in group]):>12} | "
              f"{_ms([r['total'] for r in group]):>13}")
    print("(retries: from the usage records, one per attempt; the reference, a healthy call, is "
          f"{FIRST_TOKEN_S * 1000:.0f} ms to the first token)")
    print(f"\ncircuit transitions per worker (s from the start; outage "
          f"{outage_start - watch.t0:.0f}-{outage_start - watch.t0 + down_s:.0f} s; "
          f"{dict(watch.polls)} /readyz polls answered per worker, {watch.lost} lost):")
    for pid in sorted(watch.polls):
        moves = [(t, p, a, b) for t, w, p, a, b in watch.transitions if w == pid]
        line = "; ".join(f"{t:.1f} {p} {a}->{b}" for t, p, a, b in moves) or "none"
        print(f"  worker {pid}: {line}")
    print("\nvendor calls (simulator): " + ", ".join(f"{k}: {v}" for k, v in sorted(
        calls.items())))
    print(f"CPU% of one core over {wall:.0f} s ({os.cpu_count()} CPUs = "
          f"{100 * (os.cpu_count() or 1)}%): " + ", ".join(
              f"{k} {100 * v / wall:.0f}" for k, v in cpu.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="flaky 10 s, down 10 s, cooldown 4 s, 30 clients")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--flaky", type=float, default=40.0, help="seconds before and after")
    parser.add_argument("--down", type=float, default=60.0, help="seconds of outage")
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--cooldown", type=float, default=30.0, help="ADDIN_CIRCUIT_COOLDOWN_S")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--sim-processes", type=int, default=4)
    parser.add_argument("--quiet-wait", type=float, default=0.0, metavar="S",
                        help="first wait up to S seconds for the machine to be idle")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.flaky, args.down, args.cooldown = 30, 10.0, 10.0, 4.0

    context = multiprocessing.get_context("fork")
    outage = context.Value("d", 0.0)
    calls: dict[str, int] = {}
    os.environ.update(SIM_OPENAI_KEY="sk-sim", SIM_ANTHROPIC_KEY="sk-ant-sim")
    with simulators(responder(args.fail_rate, outage, args.down), args.sim_processes,
                    calls) as sim, tempfile.TemporaryDirectory() as tmp:
        env = {"ADDIN_STALL_TIMEOUT_S": str(STALL_TIMEOUT_S),
               "ADDIN_CIRCUIT_COOLDOWN_S": str(args.cooldown)}
        with production_server(Path(tmp), models_toml(sim, Path(tmp)), env,
                               workers=args.workers) as server:
            print(f"{args.clients} clients; gpt fails {args.fail_rate:.0%} of calls "
                  f"({', '.join(FAILURES)}), down (503) for {args.down:.0f} s after "
                  f"{args.flaky:.0f} s, then {args.flaky:.0f} s more; claude healthy; "
                  f"stall timeout {STALL_TIMEOUT_S:.0f} s, circuit cooldown "
                  f"{args.cooldown:.0f} s; {len(server.pids()) - 1} workers", flush=True)
            if args.quiet_wait:
                busy = wait_for_quiet(args.quiet_wait)
                print(f"machine busy {100 * busy:.0f}% of a core before the run", flush=True)
            watch = CircuitWatch(server).start()
            sampler = Sampler(server.pids)
            started, machine, own = time.time(), machine_cpu_s(), own_cpu_s()
            outage.value = started + args.flaky
            with sampler:
                records, client_cpu = run_client(server.url, args.clients,
                                                 duration=2 * args.flaky + args.down,
                                                 ramp=2.5)
            wall = time.time() - started
            watch.stop()
            server.stop()  # the workers write their last usage records as they exit
            attempts: dict[str, list[tuple[str, str]]] = {}
            for usage in Store(f"sqlite:///{Path(tmp) / 'addin.sqlite'}").usage():
                attempts.setdefault(usage.request_id, []).append((usage.provider,
                                                                  usage.outcome))
            cpu = {"server": sampler.cpu_s, "client": client_cpu}
            cpu["simulator and other work"] = (machine_cpu_s() - machine - sum(cpu.values())
                                               - (own_cpu_s() - own))
    report(records, outage.value, args.down, watch, calls, cpu, wall, attempts)


if __name__ == "__main__":
    main()
