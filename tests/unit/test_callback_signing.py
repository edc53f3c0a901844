"""Callback signatures as Standard Webhooks specifies them, and the address guard's rules."""

from __future__ import annotations

import ipaddress
import time

import pytest

from cluster.callbacks import new_secret, sign, verify
from cluster.egress import Allowed, is_public


def test_signature_matches_the_published_standard_webhooks_vector():
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_verify_accepts_ours_and_refuses_tampering_old_timestamps_and_other_secrets():
    secret, body, now = new_secret(), b'{"status":"COMPLETED"}', int(time.time())
    signature = sign(secret, "msg_1", now, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": signature}
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(new_secret(), headers, body)
    old = now - 3600
    assert not verify(secret, {**headers, "webhook-timestamp": str(old),
                               "webhook-signature": sign(secret, "msg_1", old, body)}, body)
    assert not verify(secret, {"webhook-id": "msg_1"}, body)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200", "0.0.0.0",
     "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"],
)
def test_addresses_that_are_not_public_are_refused(address):
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_pass_and_the_allow_list_names_hosts_and_networks():
    assert is_public(ipaddress.ip_address("93.184.216.34")) and is_public(ipaddress.ip_address("2606:4700::1"))
    allowed = Allowed(["hooks.internal", "10.0.0.0/8", "127.0.0.1"])
    assert allowed.host("HOOKS.internal") and not allowed.host("other.internal")
    assert allowed.address(ipaddress.ip_address("10.9.9.9")) and allowed.address(ipaddress.ip_address("127.0.0.1"))
    assert not allowed.address(ipaddress.ip_address("127.0.0.2"))
