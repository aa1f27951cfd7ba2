"""The sandbox's fault switch as the README shows it: `POST /_sandbox/faults` with one rule
works as written, a batch of rules too, and a body it cannot use is refused, not ignored."""

from __future__ import annotations

import httpx
from timebill.core.sandbox import SandboxServer


def faults_url(server: SandboxServer) -> str:
    mite = server.credentials()["mite"]["base_url"]
    return mite.rsplit("/mite", 1)[0] + "/_sandbox/faults"


def test_the_readme_example_adds_a_rule_that_fires(sandbox: SandboxServer) -> None:
    url = faults_url(sandbox)
    answer = httpx.post(url, json={"kind": "rate_limit", "after": 5, "retry_after": 2})
    assert answer.status_code == 200, answer.text
    [rule] = answer.json()["rules"]
    assert rule["kind"] == "rate_limit" and rule["after"] == 5
    mite = sandbox.credentials()["mite"]
    headers = {"X-MiteApiKey": mite["api_key"]}
    statuses = [
        httpx.get(f"{mite['base_url']}/myself.json", headers=headers).status_code for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_a_batch_of_rules_and_the_latency(sandbox: SandboxServer) -> None:
    url = faults_url(sandbox)
    body = {"rules": [{"kind": "status", "status": 503}, {"kind": "drop"}], "latency": 0.01}
    answer = httpx.post(url, json=body)
    assert answer.status_code == 200, answer.text
    assert [r["kind"] for r in answer.json()["rules"]] == ["status", "drop"]
    assert answer.json()["latency"] == 0.01


def test_a_body_it_cannot_use_is_refused(sandbox: SandboxServer) -> None:
    url = faults_url(sandbox)
    for body in ({"rule": {"kind": "drop"}}, {}, [1, 2], {"kind": "no-such-fault"}):
        answer = httpx.post(url, json=body)
        assert answer.status_code == 400, (body, answer.text)
    assert httpx.get(url).json()["rules"] == []
