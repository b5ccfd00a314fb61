"""Load and fault test of the running suite: N concurrent gradio_client users over a mix of endpoints.

    python -m benchmarks.load                         # starts the app itself, 20 users x 5 calls
    python -m benchmarks.load --users 8 --calls 3
    python -m benchmarks.load --url http://host:7860/ # an app that is already running (no server CPU/RSS)
    python -m benchmarks.load --users 1 --calls 20    # single-user latency per endpoint
    python -m benchmarks.load --users 4 --calls 12 --minutes 60   # soak: rounds for an hour, RSS after each
    python -m benchmarks.load --starts 5 --compare ../old-checkout    # cold starts only, two apps in turn
    python -m benchmarks.load --mix five --app-dir ../old-checkout    # the first five-call mix, an older app
    python -m benchmarks.load --visitors 20 --compare ../old-checkout  # what a new user costs the server

Reports, per endpoint and overall: calls, errors (and their messages), p50/p95/max latency; the
server's CPU seconds per call and its resident memory (read from /proc for a server it started),
and the load generator's own CPU seconds, which share the machine's cores with the server.
Calls with the same inputs must return byte-identical files: every downloaded output is hashed
and any difference between them (a truncated or corrupt download) is reported as lost.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, app_dir: Path = REPO, env: dict | None = None) -> tuple[subprocess.Popen, float]:
    """``python app.py`` on ``port``; returns the process and its cold-start time (until it answers)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=app_dir,
                            env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < 300:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url + "config", timeout=2).read()
            return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app did not start within 300 s")


def example_files(folder: Path) -> dict[str, str]:
    """The inputs of the mix: a 128-px photo and a Fashion-MNIST-like item, written once."""
    from PIL import Image
    from skimage import data
    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / "photo128.png"
    if not photo.exists():
        Image.fromarray(data.astronaut()).resize((128, 128), Image.BICUBIC).save(photo)
    item = folder / "item.png"
    if not item.exists():
        canvas = Image.new("L", (28, 28), 0)
        canvas.paste(255, (8, 4, 20, 24))
        canvas.save(item)
    return {"photo": str(photo), "item": str(item)}


# endpoints whose answer depends on the session's earlier calls (the lab's networks keep training)
STATEFUL = {"/lab_step_iteration"}


def mix(files: dict, which: str = "all") -> list[tuple[str, tuple]]:
    """(endpoint, arguments) of one user's calls, in turn; arguments repeat across users on purpose,
    so that identical outputs are produced concurrently.

    ``which="five"``: the first load test's mix only, so that every user makes these five calls
    (``--mix five --calls 5``). Apps from before the input layer serve them with the same arguments,
    so an old checkout and this one can be compared with ``--app-dir``."""
    from gradio_client import handle_file

    five = [
        ("/sample_grid", (1, 16)),
        ("/vae_decode", ("vae2d-fmnist", 0.5, -0.5)),
        ("/translate", ("edges → clothing", handle_file(files["item"]), "the target (a real item or colour photo): derive the input")),
        ("/super_resolve", (handle_file(files["photo"]), "simulate")),
        ("/sample_grid", (2, 16)),
    ]
    if which == "five":
        return five
    from apps import training_lab
    lab = {**training_lab.DEFAULTS, "g_units": 16, "d_units": 16, "batch": 64}  # one full D + G iteration
    return five + [
        # what the page does after a super-resolution: the panels, then the heat maps, slider and zoom
        ("/super_resolve+/sr_extras", ((handle_file(files["photo"]), "simulate"), (48,))),
        ("/arch_class_dial", ("Conditional GAN", 7, 0, 8)),
        ("/lab_step_iteration", tuple(lab[n] for n in training_lab.NAMES)),
        ("/families_side_by_side", (3, 4)),
        ("/nextframe_test", (7, 3)),
        ("/gallery_dirac", (0.1, 300)),
        ("/arch_sgan_classify_drawing", ({"background": handle_file(files["item"]), "layers": [],
                                          "composite": handle_file(files["item"])},)),
        ("/translate_scene", (handle_file(files["photo"]),)),  # two 256-px U-Nets (any picture is read as a drawing)
    ]


def outputs_of(result) -> list[str]:
    """Local paths of the files a prediction returned (downloaded by gradio_client)."""
    found = []

    def walk(value):
        if isinstance(value, str) and os.path.isfile(value):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
    walk(result)
    return found


def lean_client() -> None:
    """Let every HTTP client in this process share one TLS context per setting.

    gradio_client opens a new ``httpx`` client for each request, event stream and file download, and
    each builds a TLS context from certifi's CA bundle (16 ms of CPU here), even for a plain-http URL.
    With 20 users in one process that is most of the load generator's own work (``--lean-client``;
    BENCHMARKS.md, "Serving"). The server is untouched."""
    import functools

    import httpx._transports.default as transports  # where httpx's clients build their TLS context
    original = transports.create_ssl_context

    @functools.lru_cache(maxsize=None)
    def shared(verify: bool, trust_env: bool):
        return original(verify=verify, trust_env=trust_env)

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if isinstance(verify, bool) and cert is None:
            return shared(verify, trust_env)
        return original(verify=verify, cert=cert, trust_env=trust_env)

    transports.create_ssl_context = create_ssl_context


def run_load(url: str, users: int, calls: int, files: dict, which: str = "all") -> dict:
    from gradio_client import Client
    records, lock = [], threading.Lock()
    # the users connect one after the other (reading the app's config), then all start at once
    clients = [Client(url, verbose=False, httpx_kwargs={"timeout": 300}) for _ in range(users)]
    barrier = threading.Barrier(users)

    def user(u: int):
        client = clients[u]
        plan = mix(files, which)
        seen = defaultdict(int)  # calls of each endpoint so far in this user's session
        barrier.wait()
        for c in range(calls):
            endpoint, args = plan[(u + c) % len(plan)]
            seen[endpoint] += 1
            t0 = time.perf_counter()
            try:
                if "+" in endpoint:  # several calls in turn, timed together (one step of the page)
                    result = [client.predict(*a, api_name=e) for e, a in zip(endpoint.split("+"), args)]
                else:
                    result = client.predict(*args, api_name=endpoint)
                digests = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in outputs_of(result)]
                error = None
            except Exception as err:  # noqa: BLE001 - every failure is a finding
                digests, error = [], f"{type(err).__name__}: {str(err)[:160]}"
            with lock:
                records.append({"endpoint": endpoint, "args": repr(args), "occurrence": seen[endpoint],
                                "seconds": time.perf_counter() - t0,
                                "error": error, "digests": digests})

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"records": records}


def soak_point(n: int, t0: float, out: dict, proc) -> dict:
    """One round of a soak run: when it ended, its errors, and the server's memory then."""
    return {"round": n, "minutes": round((time.perf_counter() - t0) / 60, 2),
            "errors": sum(r["error"] is not None for r in out["records"]),
            "server_rss_mb": round(proc_rss_mb(proc.pid)) if proc else None}


def summarise(records: list[dict]) -> dict:
    by_endpoint = defaultdict(list)
    for r in records:
        by_endpoint[r["endpoint"]].append(r)
    # identical inputs must give identical files: anything else is a lost (corrupted) output
    # (a stateful endpoint continues the user's session: its n-th call is compared with other users' n-th)
    groups = defaultdict(set)
    for r in records:
        if r["error"] is None:
            nth = r["occurrence"] if r["endpoint"] in STATEFUL else 0
            groups[r["endpoint"], r["args"], nth].add(tuple(r["digests"]))
    lost = sum(len(v) - 1 for v in groups.values())
    lost_by_endpoint = defaultdict(int)
    for (endpoint, _, _), v in groups.items():
        lost_by_endpoint[endpoint] += len(v) - 1

    def stats(rs):
        t = sorted(r["seconds"] for r in rs)
        return {"calls": len(rs), "errors": sum(r["error"] is not None for r in rs),
                "p50_s": round(statistics.median(t), 3), "p95_s": round(t[min(len(t) - 1, int(0.95 * len(t)))], 3),
                "max_s": round(t[-1], 3)}
    errors = sorted({r["error"] for r in records if r["error"]})
    generic = [e for e in errors if "upstream Gradio app has raised an exception" in e]
    return {"overall": stats(records), "endpoints": {e: stats(rs) for e, rs in sorted(by_endpoint.items())},
            "lost_outputs": lost, "lost_by_endpoint": {e: n for e, n in sorted(lost_by_endpoint.items()) if n},
            "error_messages": errors[:10], "generic_errors": len(generic)}


def cold_starts(n: int, apps: dict[str, Path]) -> int:
    """``n`` cold starts of each app, in turn (so a slow spell of the machine hits both), with the same
    data cache; prints each start and the median per app."""
    env = {"GAN_SUITE_DATA": str(REPO / "data_cache")}
    times = {name: [] for name in apps}
    for _ in range(n):
        for name, folder in apps.items():
            proc, seconds = start_server(free_port(), folder, env)
            times[name].append(round(seconds, 2))
            proc.terminate()
            proc.wait(timeout=30)
            time.sleep(2)
    from benchmarks.common import machine
    print(json.dumps({name: {"folder": str(apps[name]), "starts_s": t, "median_s": statistics.median(t)}
                      for name, t in times.items()} | {"machine": machine(), "load_average": os.getloadavg()[0]},
                     indent=2))
    return 0


def visitor_cost(n: int, apps: dict[str, Path]) -> int:
    """What ``n`` new ``gradio_client`` users cost each app's server, in CPU ms each: connecting (the page
    description and the API's), the first call of each session, and a later call (``/sample_grid``,
    16 items, the same for all), read from /proc around each step; the apps in turn."""
    from gradio_client import Client
    out = {}
    for name, folder in apps.items():
        port = free_port()
        proc, _ = start_server(port, folder)
        url = f"http://127.0.0.1:{port}/"
        try:
            time.sleep(12)  # the models load in the background once the page is served
            Client(url, verbose=False).predict(1, 16, api_name="/sample_grid")  # warm-up
            cpu = [proc_cpu_seconds(proc.pid)]
            clients = [Client(url, verbose=False) for _ in range(n)]
            cpu.append(proc_cpu_seconds(proc.pid))
            for _ in range(2):  # each session's first call, then each one's second
                for client in clients:
                    client.predict(1, 16, api_name="/sample_grid")
                cpu.append(proc_cpu_seconds(proc.pid))
            steps = ("new_user_ms", "first_call_ms", "later_call_ms")
            out[name] = {"folder": str(folder), **{k: round(1000 * (b - a) / n, 1)
                                                   for k, a, b in zip(steps, cpu, cpu[1:])}}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    from benchmarks.common import machine
    print(json.dumps(out | {"users": n, "machine": machine(), "load_average": os.getloadavg()[0]}, indent=2))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--calls", type=int, default=5, help="calls per user")
    parser.add_argument("--url", default=None, help="an app already running (default: start one)")
    parser.add_argument("--app-dir", type=Path, default=REPO,
                        help="start the app.py of this checkout (e.g. an older commit, to compare)")
    parser.add_argument("--mix", choices=["all", "five"], default="all",
                        help="all: every tab's endpoints (12 entries, users start at different ones); five: "
                             "the first load test's five calls (grid twice, VAE decode, translate, SR)")
    parser.add_argument("--lean-client", action="store_true",
                        help="share one TLS context among the generator's HTTP clients (see lean_client)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--minutes", type=float, default=0,
                        help="soak: repeat rounds of users x calls until this many minutes have passed, "
                             "recording the server's resident memory after each round")
    parser.add_argument("--starts", type=int, default=0,
                        help="only measure this many cold starts (process start to the first answer)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="with --starts or --visitors: also start this checkout's app.py, in turn with --app-dir's")
    parser.add_argument("--visitors", type=int, default=0,
                        help="only measure what this many new users cost the server (connecting, a session's "
                             "first call, a later call); with --compare, also for that checkout")
    args = parser.parse_args(argv)
    if args.visitors:
        return visitor_cost(args.visitors, {"app": args.app_dir, **({"compare": args.compare} if args.compare else {})})
    if args.starts:
        return cold_starts(args.starts, {"app": args.app_dir, **({"compare": args.compare} if args.compare else {})})
    if args.lean_client:
        lean_client()
    files = example_files(REPO / "data_cache" / "load_inputs")
    proc, cold = None, None
    url = args.url
    if url is None:
        port = free_port()
        proc, cold = start_server(port, args.app_dir)
        url = f"http://127.0.0.1:{port}/"
    try:
        # one warm-up call per endpoint (model loading, first-call compilation) before measuring
        warm = run_load(url, 1, len(mix(files, args.mix)), files, args.mix)
        cpu0 = proc_cpu_seconds(proc.pid) if proc else None
        me0, t0 = time.process_time(), time.perf_counter()
        out = run_load(url, args.users, args.calls, files, args.mix)
        rounds = [soak_point(1, t0, out, proc)]
        while time.perf_counter() - t0 < 60 * args.minutes:  # soak: more rounds, memory after each
            more = run_load(url, args.users, args.calls, files, args.mix)
            out["records"] += more["records"]
            rounds.append(soak_point(len(rounds) + 1, t0, more, proc))
            if len(rounds) % 10 == 0:
                print(json.dumps(rounds[-1]), flush=True)
        wall = time.perf_counter() - t0
        figures = summarise(out["records"])
        n = len(out["records"])
        figures.update(users=args.users, calls_per_user=args.calls, mix=args.mix, lean_client=args.lean_client,
                       wall_s=round(wall, 2),
                       warmup_errors=[r["error"] for r in warm["records"] if r["error"]],
                       client_cpu_s=round(time.process_time() - me0, 2))
        if args.minutes:
            figures["rounds"] = rounds
        if proc:
            server_cpu = proc_cpu_seconds(proc.pid) - cpu0
            figures.update(cold_start_s=round(cold, 2), server_cpu_s=round(server_cpu, 2),
                           server_cpu_ms_per_call=round(1000 * server_cpu / n, 1),
                           server_rss_mb=round(proc_rss_mb(proc.pid)))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    from benchmarks.common import machine
    figures["machine"] = machine()
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if figures["overall"]["errors"] == 0 and figures["lost_outputs"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
