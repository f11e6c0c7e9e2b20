"""The deployment files are valid against their specifications and agree with the code.

- ``deploy/compose.yaml`` validates against the Compose Specification JSON schema (the copy
  vendored by the PyPI package check-jsonschema, fetched once into ``var/cache/deploy-tests``);
- every manifest of the Kustomize base ``deploy/k8s`` validates, strictly, against the Kubernetes
  1.30 JSON schemas bundled by kubernetes-validate, and wires probes, resources, security and
  metrics the same way for every service;
- ``deploy/Dockerfile`` copies only files that exist (and are not excluded by ``.dockerignore``),
  pins its base image and runs as a non-root user;
- the systemd units parse and start real ``infraledger`` sub-commands;
- every ``INFRALEDGER_*`` variable these files name is a real setting, and the values they give
  pass the settings' own validation.

Everything runs offline once the two packages are cached; if they cannot be fetched the fixtures
fail loudly, they never skip.
"""

from __future__ import annotations

import fnmatch
import http.server
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError
from referencing import Registry, Resource

from services.core.config import ENV_PREFIX, Settings, parse_duration

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
SYSTEMD = DEPLOY / "systemd"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PRODUCTION = DEPLOY.parent / "README.md"  # its "Running in production" section
CACHE = REPO / "var" / "cache" / "deploy-tests"

# Where the schemas come from (package registries only; pinned for reproducible results).
CHECK_JSONSCHEMA = "check-jsonschema==0.39.0"
COMPOSE_SCHEMA_MEMBER = "check_jsonschema/builtin_schemas/vendor/compose-spec.json"
KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"
KUBERNETES_VERSION = "1.30"

SERVICES = ("crawler", "extractor", "store", "alerts", "api")
GRACE_PERIOD = parse_duration(Settings.model_fields["grace_period"].default)
SETTING_NAMES = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
VARIABLE = re.compile(r"\b" + ENV_PREFIX + r"[A-Z0-9_]+\b")


# --------------------------------------------------------------------------- helpers


def _pip(*args: str) -> None:
    """Run pip of this interpreter; any failure fails the test with pip's own words."""
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"could not fetch a schema package from PyPI: {shlex.join(command)}\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}",
            pytrace=False,
        )


def _yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _interpolate(value: Any) -> Any:
    """Compose's interpolation with every variable unset: defaults apply, ``$$`` is ``$``."""
    if isinstance(value, dict):
        return {key: _interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item) for item in value]
    if not isinstance(value, str):
        return value
    pattern = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
    return pattern.sub(lambda m: "$" if m.group(0) == "$$" else (m.group(2) or ""), value)


def _parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit: sections of keys, each with every value given (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}:{number}: a setting outside any section"
        assert "=" in line, f"{path.name}:{number}: not a Key=value line: {raw!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _settings_accept(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """The values validate as the services would read them (durations, ports, URLs, ...)."""
    with monkeypatch.context() as patch:
        for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        try:
            Settings()
        except ValidationError as exc:
            pytest.fail(f"{where}: the settings reject these values: {exc}", pytrace=False)


def _variables(path: Path) -> set[str]:
    return set(VARIABLE.findall(path.read_text(encoding="utf-8")))


def _deploy_text_files() -> list[Path]:
    files = [COMPOSE, DOCKERFILE, PRODUCTION, *sorted(K8S.glob("*.yaml")),
             *sorted(SYSTEMD.iterdir())]  # fmt: skip
    return [f for f in files if f.is_file()]


# --------------------------------------------------------------------------- the CLI


class Cli:
    """The real ``infraledger`` command line: every command a deploy file runs must parse."""

    def __init__(self) -> None:
        from services.cli import build_parser

        self.parser = build_parser()

    def check(self, argv: list[str], where: str) -> None:
        """``argv`` (what follows ``infraledger``) is a valid command line."""
        assert argv, f"{where}: no sub-command"
        try:
            args = self.parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{where}: `infraledger {shlex.join(argv)}` is not a valid command")
        assert args.command == argv[0]


@pytest.fixture(scope="module")
def cli() -> Cli:
    return Cli()


# --------------------------------------------------------------------------- schema fixtures


@pytest.fixture(scope="session")
def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema, as vendored by check-jsonschema (cached once)."""
    version = CHECK_JSONSCHEMA.split("==")[1]
    cached = CACHE / f"compose-spec.check-jsonschema-{version}.json"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            _pip("download", "--no-deps", "--only-binary=:all:", CHECK_JSONSCHEMA, "-d", tmp)
            wheels = list(Path(tmp).glob("check_jsonschema-*.whl"))
            assert len(wheels) == 1, f"expected one check-jsonschema wheel, got {wheels}"
            with zipfile.ZipFile(wheels[0]) as wheel:
                content = wheel.read(COMPOSE_SCHEMA_MEMBER)
            partial = Path(tmp) / cached.name
            partial.write_bytes(content)
            partial.replace(cached)
    schema: dict[str, Any] = json.loads(cached.read_text(encoding="utf-8"))
    assert schema.get("title") == "Compose Specification", "not the Compose Specification schema"
    return schema


@pytest.fixture(scope="session")
def kubernetes_validate() -> Any:
    """The kubernetes-validate package (from the venv, else installed once into the cache)."""
    try:
        return importlib.import_module("kubernetes_validate")
    except ImportError:
        pass
    site = CACHE / "site"
    if not site.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            _pip("install", "--quiet", "--target", tmp + "/site", KUBERNETES_VALIDATE)
            Path(tmp, "site").replace(site)  # complete or absent, never half-installed
    sys.path.append(str(site))  # after the venv: its own jsonschema/referencing stay in use
    importlib.invalidate_caches()
    return importlib.import_module("kubernetes_validate")


# --------------------------------------------------------------------------- Compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _infraledger_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: spec
        for name, spec in compose["services"].items()
        if str(spec.get("image", "")).startswith("infraledger:")
    }


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any], compose_schema: dict[str, Any]
) -> None:
    validator_class = jsonschema.validators.validator_for(compose_schema)
    validator_class.check_schema(compose_schema)
    registry: Registry = Registry().with_resource(
        compose_schema.get("$id", "compose-spec.json"), Resource.from_contents(compose_schema)
    )
    validator = validator_class(compose_schema, registry=registry)
    errors = sorted(validator.iter_errors(_interpolate(compose)), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors
    )


def test_compose_runs_kafka_4_in_kraft_combined_mode_with_a_healthcheck(
    compose: dict[str, Any],
) -> None:
    kafka = compose["services"]["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"]), kafka["image"]
    env = _interpolate(kafka["environment"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_NODE_ID"] == "1"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert "CONTROLLER:PLAINTEXT" in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"]
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for name in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                 "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                 "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):  # fmt: skip
        assert env[name] == "1", f"{name} must be 1 on a single node"
    assert any(v.endswith(":" + env["KAFKA_LOG_DIRS"]) for v in kafka["volumes"])
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_compose_runs_postgresql_16_with_pg_isready_and_a_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:16\.\d+(-\w+)?", postgres["image"]), postgres["image"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_compose_images_are_pinned_and_ours_is_built_from_the_dockerfile(
    compose: dict[str, Any],
) -> None:
    for name, spec in compose["services"].items():
        image = _interpolate(spec["image"])
        assert ":" in image and not image.endswith(":latest"), f"{name}: unpinned image {image}"
    for name, spec in _infraledger_services(compose).items():
        build = spec["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == REPO, name
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_starts_services_after_healthy_kafka_postgres_and_completed_migration(
    compose: dict[str, Any], cli: Cli
) -> None:
    services = _infraledger_services(compose)
    assert set(SERVICES) <= set(services), "one container per service"
    migrate = services["migrate"]
    cli.check(migrate["command"], "compose migrate")
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    for name in SERVICES:
        spec = services[name]
        cli.check(spec["command"], f"compose {name}")
        assert spec["command"] == [name]
        depends = spec["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert spec["restart"] == "unless-stopped", name
    for name, spec in compose["services"].items():
        for target in spec.get("depends_on", {}):
            assert target in compose["services"], f"{name} depends on unknown {target}"


def test_every_service_container_checks_its_own_healthz_with_python(
    compose: dict[str, Any],
) -> None:
    for name in SERVICES:
        spec = _infraledger_services(compose)[name]
        env = _interpolate(spec["environment"])
        port = env["INFRALEDGER_API_PORT"] if name == "api" else env["INFRALEDGER_HEALTH_PORT"]
        test = spec["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"], f"{name}: no curl in slim images"
        assert f"http://127.0.0.1:{port}/healthz" in test[3], f"{name} checks the wrong port"


def test_crawler_keeps_its_warc_archive_on_a_volume_and_workers_scale(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    crawler = services["crawler"]
    archive = crawler["environment"]["INFRALEDGER_ARCHIVE_DIR"]
    volume = next(v for v in crawler["volumes"] if v.endswith(":" + archive))
    assert volume.split(":")[0] in compose["volumes"], "a named volume survives re-creation"
    for name in ("extractor", "store"):
        assert services[name]["deploy"]["replicas"] >= 1
        assert "container_name" not in services[name], f"{name} must be scalable"
    for name, spec in services.items():
        for mount in spec.get("volumes", []):
            source = mount.split(":")[0]
            assert source.startswith((".", "/")) or source in compose["volumes"], (name, mount)


def test_compose_environment_uses_real_settings_with_valid_values(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = _variables(COMPOSE) - SETTING_NAMES
    assert not unknown, f"compose.yaml names variables that are no settings: {sorted(unknown)}"
    for name in SERVICES:
        env = _interpolate(_infraledger_services(compose)[name]["environment"])
        given = {k: str(v) for k, v in env.items() if v is not None}
        _settings_accept(given, monkeypatch, f"compose {name}")


# --------------------------------------------------------------------------- Kubernetes


def _kustomize_lite(base: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The documents of the resources a kustomization.yaml lists (no transformers applied)."""
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    for entry in kustomization["resources"]:
        path = base / entry
        assert path.is_file(), f"kustomization.yaml lists a missing resource: {entry}"
        for document in _yaml_documents(path):
            yield path, document


@pytest.fixture(scope="module")
def manifests() -> list[tuple[Path, dict[str, Any]]]:
    return list(_kustomize_lite(K8S))


def _of_kind(manifests: list[tuple[Path, dict[str, Any]]], kind: str) -> dict[str, Any]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests if doc["kind"] == kind}


def test_kustomization_lists_every_manifest_in_the_directory() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_every_manifest_is_valid_against_the_kubernetes_schemas(
    manifests: list[tuple[Path, dict[str, Any]]], kubernetes_validate: Any
) -> None:
    problems = []
    for path, document in manifests:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            problems.append(f"{path.name} {document['kind']}: {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{path.name}: {exc.message}")
    assert not problems, "\n".join(problems)
    kinds = {doc["kind"] for _, doc in manifests}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service",
            "PodDisruptionBudget", "Job", "PersistentVolumeClaim"} <= kinds  # fmt: skip


def test_one_deployment_per_service_with_its_replicas(
    manifests: list[tuple[Path, dict[str, Any]]], cli: Cli
) -> None:
    deployments = _of_kind(manifests, "Deployment")
    expected = {"crawler": 1, "extractor": 2, "store": 2, "alerts": 1, "api": 1}
    assert {f"infraledger-{s}" for s in SERVICES} == set(deployments)
    for service, replicas in expected.items():
        deployment = deployments[f"infraledger-{service}"]
        assert deployment["spec"]["replicas"] == replicas, service
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        cli.check(container["args"], f"k8s {service}")
        assert container["args"] == [service]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_probes_metrics_and_resources_are_wired_for_every_service(
    manifests: list[tuple[Path, dict[str, Any]]],
) -> None:
    config = _of_kind(manifests, "ConfigMap")["infraledger-config"]["data"]
    for name, deployment in _of_kind(manifests, "Deployment").items():
        pod = deployment["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        served = config["INFRALEDGER_API_PORT" if name.endswith("-api")
                      else "INFRALEDGER_HEALTH_PORT"]  # fmt: skip
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"),
                            ("startupProbe", "/healthz")):  # fmt: skip
            http = container[probe]["httpGet"]
            assert http["path"] == path, f"{name} {probe}"
            assert str(ports[http["port"]]) == served, f"{name} {probe} asks the wrong port"
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == served, name
        assert annotations["prometheus.io/path"] == "/metrics", name
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{name} {kind}"
        assert resources["limits"]["memory"].endswith("Mi")
        # < 300 MB per process; the crawler's pod also holds its fork server and two workers
        budget = 768 if name.endswith("-crawler") else 512
        assert int(resources["limits"]["memory"][:-2]) <= budget, f"{name}: < 300 MB each"
        assert pod["spec"]["terminationGracePeriodSeconds"] > GRACE_PERIOD, name


def test_pods_run_as_non_root_on_a_read_only_root_filesystem(
    manifests: list[tuple[Path, dict[str, Any]]],
) -> None:
    workloads = {**_of_kind(manifests, "Deployment"), **_of_kind(manifests, "Job")}
    for name, workload in workloads.items():
        spec = workload["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp must be an emptyDir"
            for volume in mounts.values():
                assert volume in volumes, f"{name} mounts an undeclared volume {volume}"


def test_configuration_comes_from_the_configmap_and_the_placeholder_secret(
    manifests: list[tuple[Path, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _of_kind(manifests, "ConfigMap")["infraledger-config"]["data"]
    secret = _of_kind(manifests, "Secret")["infraledger-secrets"]["stringData"]
    assert config["INFRALEDGER_KAFKA_BOOTSTRAP"] == "kafka-bootstrap:9092"
    assert secret["INFRALEDGER_DATABASE_URL"].startswith("postgresql+psycopg://")
    for key, value in secret.items():
        assert "CHANGE-ME" in value, f"{key} must be an obvious placeholder"
    assert "PLACEHOLDER" in (K8S / "secret.yaml").read_text()
    _settings_accept({**config, **secret}, monkeypatch, "k8s ConfigMap + Secret")
    workloads = {**_of_kind(manifests, "Deployment"), **_of_kind(manifests, "Job")}
    for name, workload in workloads.items():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            sources = container["envFrom"]
            assert {"configMapRef": {"name": "infraledger-config"}} in sources, name
            assert {"secretRef": {"name": "infraledger-secrets"}} in sources, name


def test_migration_job_pdbs_api_service_and_crawler_archive_claim(
    manifests: list[tuple[Path, dict[str, Any]]], cli: Cli
) -> None:
    (job,) = _of_kind(manifests, "Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    cli.check(container["args"], "k8s migration job")
    assert container["args"] == ["db", "upgrade"]

    deployments = _of_kind(manifests, "Deployment")

    def pod_labels(service: str) -> dict[str, str]:
        labels: dict[str, str] = deployments[f"infraledger-{service}"]["spec"]["template"][
            "metadata"
        ]["labels"]
        return labels

    budgets = _of_kind(manifests, "PodDisruptionBudget").values()
    covered = {
        service
        for budget in budgets
        for service in SERVICES
        if budget["spec"]["selector"]["matchLabels"].items() <= pod_labels(service).items()
    }
    assert covered == {"extractor", "store"}

    (service,) = _of_kind(manifests, "Service").values()
    assert service["spec"]["selector"].items() <= pod_labels("api").items()
    (api,) = deployments["infraledger-api"]["spec"]["template"]["spec"]["containers"]
    assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in api["ports"]}

    crawler = deployments["infraledger-crawler"]["spec"]["template"]["spec"]
    claims = {v["persistentVolumeClaim"]["claimName"]: v["name"]
              for v in crawler["volumes"] if "persistentVolumeClaim" in v}  # fmt: skip
    assert set(claims) <= set(_of_kind(manifests, "PersistentVolumeClaim")), "claim is declared"
    (container,) = crawler["containers"]
    archive = next(e["value"] for e in container["env"] if e["name"] == "INFRALEDGER_ARCHIVE_DIR")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert [mounts[name] for name in claims.values()] == [archive]


def test_kafka_and_postgresql_are_documented_as_provided_outside_the_base() -> None:
    text = (K8S / "kustomization.yaml").read_text()
    assert "Strimzi" in text and "PostgreSQL" in text


# --------------------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        logical.append(pending + raw.strip())
        pending = ""
    assert not pending, "a continuation line runs off the end of the Dockerfile"
    out = []
    for line in logical:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerfile_copies_only_files_that_exist_and_are_in_the_build_context() -> None:
    ignored = _dockerignore_patterns()
    copies = [args for word, args in _dockerfile_instructions() if word in {"COPY", "ADD"}]
    assert copies
    for args in copies:
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        if "--from=" in args:
            continue  # copies between stages
        *sources, _destination = parts
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
            top = Path(source).parts[0]
            excluded = [p for p in ignored if fnmatch.fnmatch(top, p) or fnmatch.fnmatch(source, p)]
            assert not excluded, f"COPY {source} is excluded by .dockerignore ({excluded})"


def test_dockerfile_is_multi_stage_on_a_pinned_base_and_runs_as_non_root(cli: Cli) -> None:
    instructions = _dockerfile_instructions()
    stages = [args.split() for word, args in instructions if word == "FROM"]
    assert len(stages) >= 2, "multi-stage: build, then a slim runtime"
    for image, *_platform_or_alias in stages:
        assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm(@sha256:[0-9a-f]{64})?", image)
        assert not image.endswith(":latest")
    final = instructions[max(i for i, (w, _) in enumerate(instructions) if w == "FROM") :]
    users = [args for word, args in final if word == "USER"]
    assert users, "the final stage sets a USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert users[-1].split(":")[0] == "10001"
    final_words = dict(final)
    assert json.loads(final_words["ENTRYPOINT"]) == ["infraledger"]
    default = json.loads(final_words["CMD"])
    cli.check(default, "Dockerfile CMD")
    assert default == ["api"]
    assert set(final_words["EXPOSE"].split()) == {"8080", "9400"}
    assert "python" in final_words["HEALTHCHECK"] and "/healthz" in final_words["HEALTHCHECK"]
    assert any(word == "COPY" and "--from=build" in args for word, args in final)


def _healthcheck_exit(env: dict[str, str]) -> int:
    """The image's HEALTHCHECK program run here, with only ``env`` of the service's variables."""
    final_words = dict(_dockerfile_instructions())
    argv = json.loads(final_words["HEALTHCHECK"].split(" CMD ", 1)[1])
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return subprocess.run([sys.executable, *argv[1:]], env={**clean, **env}, timeout=30).returncode


@pytest.fixture
def healthz_port() -> Iterator[int]:
    """A port on 127.0.0.1 answering ``/healthz`` with 200."""

    class Healthz(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_image_health_check_finds_each_service_on_the_port_it_serves(
    healthz_port: int,
) -> None:
    closed = "1"  # nothing listens on port 1 here
    # The api answers on the API port only, though a shared environment sets a health port too.
    api = {f"{ENV_PREFIX}HEALTH_PORT": closed, f"{ENV_PREFIX}API_PORT": str(healthz_port)}
    assert _healthcheck_exit(api) == 0
    # The other services answer on the health port only.
    other = {f"{ENV_PREFIX}HEALTH_PORT": str(healthz_port), f"{ENV_PREFIX}API_PORT": closed}
    assert _healthcheck_exit(other) == 0
    down = {f"{ENV_PREFIX}HEALTH_PORT": closed, f"{ENV_PREFIX}API_PORT": closed}
    assert _healthcheck_exit(down) == 1


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    ignored = set(_dockerignore_patterns())
    assert {".venv", ".kafka", "var", ".git"} <= ignored
    assert any("pycache" in p for p in ignored)


# --------------------------------------------------------------------------- systemd


UNITS = [f"infraledger-{s}.service" for s in SERVICES]


def test_systemd_units_parse_and_start_real_sub_commands(cli: Cli) -> None:
    executable = "/opt/infraledger/.venv/bin/infraledger"
    for name in [*UNITS, "infraledger-migrate.service"]:
        unit = _parse_unit(SYSTEMD / name)
        (exec_start,) = unit["Service"]["ExecStart"]
        argv = shlex.split(exec_start)
        assert argv[0] == executable, name
        cli.check(argv[1:], name)
        expected = (
            ["db", "upgrade"]
            if name == "infraledger-migrate.service"
            else [name.removeprefix("infraledger-").removesuffix(".service")]
        )
        assert argv[1:] == expected, name
        assert unit["Service"]["EnvironmentFile"] == ["/etc/infraledger/infraledger.env"]
        assert unit["Service"]["User"][0] not in {"root", "0"}, name
        assert unit["Install"]["WantedBy"] == ["infraledger.target"], name


def test_systemd_services_restart_stop_gracefully_and_are_hardened() -> None:
    health_ports = []
    for name in UNITS:
        unit = _parse_unit(SYSTEMD / name)
        service = {key: values[-1] for key, values in unit["Service"].items()}
        assert service["Restart"] == "on-failure", name
        assert service["KillSignal"] == "SIGTERM", name
        stop = parse_duration(service["TimeoutStopSec"])
        assert GRACE_PERIOD < stop <= GRACE_PERIOD + 30, f"{name}: TimeoutStopSec"
        assert service["NoNewPrivileges"] == "yes", name
        assert service["ProtectSystem"] == "strict", name
        assert service["PrivateTmp"] == "yes", name
        assert "/var/lib/infraledger" in service["ReadWritePaths"].split(), name
        after = " ".join(unit["Unit"]["After"]).split()
        wants = " ".join(unit["Unit"]["Wants"]).split()
        for dependency in ("kafka.service", "postgresql.service"):
            assert dependency in after and dependency in wants, f"{name}: optional {dependency}"
            assert dependency not in " ".join(unit["Unit"].get("Requires", [])), name
        assert "infraledger-migrate.service" in after, name
        for setting in unit["Service"].get("Environment", []):
            if setting.startswith("INFRALEDGER_HEALTH_PORT="):
                health_ports.append(setting.partition("=")[2])
    assert len(health_ports) == len(set(health_ports)) == len(SERVICES) - 1, "one port each"
    migrate = _parse_unit(SYSTEMD / "infraledger-migrate.service")["Service"]
    assert migrate["Type"] == ["oneshot"]


def test_systemd_target_groups_every_unit() -> None:
    target = _parse_unit(SYSTEMD / "infraledger.target")
    wanted = " ".join(target["Unit"]["Wants"]).split()
    assert set(wanted) == {*UNITS, "infraledger-migrate.service"}
    assert target["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_example_environment_is_a_valid_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {}
    for line in (SYSTEMD / "infraledger.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    assert "INFRALEDGER_HEALTH_PORT" not in env, "it would override every unit's own port"
    data_dir = env["INFRALEDGER_DATA_DIR"]
    for name in UNITS:
        paths = _parse_unit(SYSTEMD / name)["Service"]["ReadWritePaths"][-1].split()
        assert data_dir in paths, f"{name} cannot write its data directory"
    _settings_accept({k: v for k, v in env.items() if v}, monkeypatch, "infraledger.env.example")


# --------------------------------------------------------------------------- settings


def test_every_infraledger_variable_named_in_deployment_files_is_a_real_setting() -> None:
    unknown = {
        f"{path.relative_to(REPO)}: {name}"
        for path in _deploy_text_files()
        for name in _variables(path) - SETTING_NAMES
    }
    assert not unknown, "variables that are no settings:\n" + "\n".join(sorted(unknown))
    named = set().union(*(_variables(path) for path in _deploy_text_files()))
    assert {"INFRALEDGER_KAFKA_BOOTSTRAP", "INFRALEDGER_DATABASE_URL"} <= named


def test_the_production_guide_names_only_metrics_the_services_export() -> None:
    defined = set()
    for source in (REPO / "services").rglob("*.py"):
        defined |= set(re.findall(r'"(infraledger_[a-z0-9_]+)"', source.read_text("utf-8")))
    exported = defined | {f"{name}_total" for name in defined}
    documented = set(re.findall(r"\binfraledger_[a-z0-9_]+", PRODUCTION.read_text("utf-8")))
    assert documented, "the guide lists what to monitor"
    unknown = set()
    for name in documented:
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if name.endswith("_"):  # a family such as infraledger_crawler_*
            if not any(metric.startswith(name) for metric in defined):
                unknown.add(name + "*")
        elif base not in exported:
            unknown.add(name)
    assert not unknown, f"metrics no service exports: {sorted(unknown)}"
