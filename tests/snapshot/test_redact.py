"""Redaction: credential detectors, Secrets, ConfigMaps, args, last-applied annotations."""

from __future__ import annotations

import pytest

from kubesec_nb.snapshot.redact import detect, is_redacted, redact_object


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("X", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
    ("TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github-token"),
    ("K", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
    ("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
    ("KEY", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "private-key"),
    ("DATABASE_URL", "postgres://app:hunter2@db:5432/app", "url-credentials"),
    ("CONN", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==", "azure-connection-string"),
    ("DB_PASSWORD", "changeme", "key-name"),
    ("client_secret", "s3cr3t-value", "key-name"),
    ("RANDOM_SEED", "q8Zr4Lk2Vb9Xw1Pn6Tc3Hy7Mj5Dg0Fs", "high-entropy"),
    ("DB_PASSWORD_FILE", "/run/secrets/db", None),
    ("TOKEN_TTL", "3600", None),
    ("PASSWORD_ENABLED", "true", None),
    ("API_KEY_NAME", "primary", None),
    ("LOG_LEVEL", "debug", None),
    ("IMAGE_DIGEST", "sha256:" + "a" * 64, None),
    ("ENDPOINT", "https://api.example.com/v1/items", None),
    ("ROLE", "arn:aws:iam::111122223333:role/app", None),
    ("SECRET_REF", "$(OTHER_VAR)", None),
    ("EMPTY_SECRET", "", None),
])
def test_detectors(name: str, value: str, expected: str | None) -> None:
    assert detect(name, value) == expected


def test_secret_keeps_keys_type_and_metadata_only() -> None:
    s = redact_object({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": "s", "namespace": "a", "labels": {"x": "y"},
                                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}"},
                                    "managedFields": [{}]},
                       "data": {"b": "djE=", "a": "djI="}, "stringData": {"c": "v3"}})
    assert s["data"] == {"a": "<redacted:secret>", "b": "<redacted:secret>", "c": "<redacted:secret>"}
    assert "stringData" not in s and s["type"] == "Opaque"
    assert s["metadata"] == {"name": "s", "namespace": "a", "labels": {"x": "y"}, "annotations": {}}


def test_configmap_values_and_binary_data() -> None:
    cm = redact_object({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"},
                        "data": {"SMTP_PASSWORD": "pw-123456", "LOG_LEVEL": "info"}, "binaryData": {"blob": "AAEC"}})
    assert cm["data"] == {"SMTP_PASSWORD": "<redacted:key-name>", "LOG_LEVEL": "info"}
    assert cm["binaryData"] == {"blob": "<redacted:binary>"}


def test_aws_auth_is_kept_verbatim() -> None:
    data = {"mapRoles": "- rolearn: arn:aws:iam::1:role/Admin\n  groups: [system:masters]\n"}
    cm = redact_object({"kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                        "data": dict(data)})
    assert cm["data"] == data


def test_pod_env_args_and_command_in_every_container_kind() -> None:
    pod = redact_object({"kind": "CronJob", "metadata": {"name": "j", "namespace": "a"}, "spec": {"jobTemplate": {
        "spec": {"template": {"spec": {
            "initContainers": [{"name": "i", "env": [{"name": "API_TOKEN", "value": "tok-123456"}]}],
            "containers": [{"name": "c", "args": ["--password=hunter2hunter2", "--db-password", "hunter3hunter3",
                                                  "--port", "8080", "plain", "AKIAIOSFODNN7EXAMPLE"],
                            "command": ["sh", "-c", "run --token=abcdef123456"],
                            "env": [{"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}],
            "ephemeralContainers": [{"name": "e", "env": [{"name": "PASSWD", "value": "abcd1234"}]}]}}}}}})
    spec = pod["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["env"][0]["value"] == "<redacted:key-name>"
    assert spec["containers"][0]["args"] == ["--password=<redacted:key-name>", "--db-password", "<redacted:key-name>",
                                             "--port", "8080", "plain", "<redacted:aws-access-key-id>"]
    assert spec["containers"][0]["command"][2] == "<redacted:password-assignment>"
    assert spec["containers"][0]["env"][0] == {"name": "FROM_SECRET",
                                               "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    assert spec["ephemeralContainers"][0]["env"][0]["value"] == "<redacted:key-name>"


def test_redaction_is_idempotent() -> None:
    obj = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "env": [{"name": "DB_PASSWORD", "value": "xyz12345"}]}]}}
    once = redact_object(obj)
    value = once["spec"]["containers"][0]["env"][0]["value"]
    assert is_redacted(value)
    assert redact_object(once)["spec"]["containers"][0]["env"][0]["value"] == value
