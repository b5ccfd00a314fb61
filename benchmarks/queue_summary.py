"""What Gradio's per-request monitoring summary costs the server, with its defaults and as the suite
queues (``app.configure_queue``).

    python -m benchmarks.queue_summary            # median CPU ms per request, 3 repeats of 1000 requests

After every finished request Gradio's queue calls ``compute_analytics_summary`` over its records of
the last requests (a pandas table grouped by endpoint, for the monitoring page). This replays what
the queue does after each of 1000 requests, on records of the suite's own endpoints, with Gradio's
defaults (10 000 records kept, a summary after every request) and with the suite's settings, and
reports the CPU time per request (``time.process_time``, this thread only).
"""
from __future__ import annotations

import os
import random
import statistics
import time

import gradio as gr


def per_request_ms(queue, api_names: list[str], requests: int) -> float:
    rng = random.Random(0)
    t0 = time.process_time()
    for i in range(requests):  # what gradio.queueing.Queue does around each finished request
        queue.event_analytics[f"event-{i}"] = {"time": time.time(), "status": rng.choice(["success", "failed"]),
                                               "process_time": rng.random(), "function": rng.choice(api_names),
                                               "session_hash": f"s{i % 50}"}
        while len(queue.event_analytics) > queue.ANALYTICS_MAX_EVENTS:
            queue.event_analytics.pop(next(iter(queue.event_analytics)))
        queue.events_recorded += 1
        queue.compute_analytics_summary(list(queue.event_analytics.values()))
    return (time.process_time() - t0) / requests * 1000


def main(requests: int = 1000, repeats: int = 3) -> None:
    import app
    demo = app.build_demo()  # the suite's endpoints, for realistic groups
    api_names = sorted({fn.api_name for fn in demo.fns.values() if fn.api_name})
    for label, as_the_suite in (("Gradio's defaults", False), ("the suite's queue", True)):
        times = []
        for _ in range(repeats):
            for var in ("GRADIO_ANALYTICS_MAX_EVENTS", "GRADIO_ANALYTICS_CACHE_FREQUENCY"):
                os.environ.pop(var, None)
            with gr.Blocks() as tiny:
                gr.Button("go").click(lambda: None, api_name="go")
            queue = (app.configure_queue(tiny) if as_the_suite else tiny.queue())._queue
            times.append(per_request_ms(queue, api_names, requests))
        print(f"{label}: {statistics.median(times):.2f} ms per request "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)}; {len(api_names)} endpoints, {requests} requests)")


if __name__ == "__main__":
    main()
