"""A small load run through the real entry point: `python -m benchmarks.load` starts `python app.py`
and 8 gradio_client users make 5 calls each over the mix of endpoints. Not a timed test: it
asserts that no call fails and that calls with the same inputs receive byte-identical files
(a truncated download would differ), and it reads the figures the script reports."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import requires_checkpoint

REPO = Path(__file__).resolve().parent.parent.parent


@requires_checkpoint("dcgan-fmnist", "vae2d-fmnist", "pix2pix-edges2clothing", "srresnet-x4", "srgan-x4",
                     "cgan-fmnist", "sgan-fmnist", "supervised-fmnist")
def test_eight_users_get_every_output_intact(tmp_path):
    out = tmp_path / "load.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.load", "--users", "8", "--calls", "6", "--json", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert out.exists(), run.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["overall"]["calls"] == 48  # 8 users x 6 calls (user u's call c: entry u + c): all 13 entries
    assert figures["overall"]["errors"] == 0, figures["error_messages"]
    assert figures["lost_outputs"] == 0
    assert figures["warmup_errors"] == []
    assert set(figures["endpoints"]) == {"/sample_grid", "/vae_decode", "/translate", "/super_resolve",
                                         "/super_resolve+/sr_extras", "/arch_class_dial", "/lab_step_iteration",
                                         "/families_side_by_side", "/nextframe_test", "/gallery_dirac",
                                         "/arch_sgan_classify_drawing", "/translate_scene"}
    assert figures["server_cpu_ms_per_call"] > 0 and figures["server_rss_mb"] > 100
    assert run.returncode == 0


def test_the_five_call_mix_is_the_first_load_tests_calls(tmp_path):
    """``--mix five``: every user makes the first load test's five calls, the head of the full mix."""
    sys.path.insert(0, str(REPO))
    from benchmarks.load import example_files, mix
    files = example_files(tmp_path)
    five, full = mix(files, "five"), mix(files)
    assert [e for e, _ in five] == ["/sample_grid", "/vae_decode", "/translate", "/super_resolve", "/sample_grid"]
    assert [e for e, _ in full[:5]] == [e for e, _ in five] and len(full) == 13
    assert repr(full[:5]) == repr(five)  # the same arguments, so the two mixes' figures compare


def test_the_lean_client_shares_one_tls_context_and_leaves_other_settings_alone(monkeypatch):
    sys.path.insert(0, str(REPO))
    import httpx
    import httpx._transports.default as transports

    from benchmarks.load import lean_client
    monkeypatch.setattr(transports, "create_ssl_context", transports.create_ssl_context)  # undone after the test
    before = httpx.Client(), httpx.Client()
    assert before[0]._transport._pool._ssl_context is not before[1]._transport._pool._ssl_context
    lean_client()
    a, b, plain = httpx.Client(), httpx.Client(), httpx.Client(verify=False)
    assert a._transport._pool._ssl_context is b._transport._pool._ssl_context
    assert plain._transport._pool._ssl_context is not a._transport._pool._ssl_context
    assert plain._transport._pool._ssl_context.verify_mode == 0  # ssl.CERT_NONE, as asked
