"""Launcher of a local Apache Kafka (KRaft, combined mode) from Maven Central jars.

The jars are listed in ``deploy/local/kafka-pom.xml`` and collected by Maven into
``.kafka/lib`` once (cached); each node gets its own properties file rendered from
``deploy/local/server.properties.template``, is formatted with ``kafka.tools.StorageTool`` and
started with ``kafka.Kafka``.  Readiness is a real client request (metadata of every node),
not a log line.  Used by ``make run`` / ``infraledger up`` (single node), by ``infraledger broker``
and by the test suite (single node and a 3-node cluster for fault tests).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import socket
import string
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.core.errors import InfraledgerError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy" / "local"
DEFAULT_LIB = REPO_ROOT / ".kafka" / "lib"
JVM_OPTS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)


class BrokerError(InfraledgerError):
    """The local broker could not be fetched, formatted or started."""


def fetch_jars(lib: Path = DEFAULT_LIB) -> Path:
    """Collect the broker's jars with Maven into ``lib`` unless they are already there."""
    if any(lib.glob("kafka_2.13-*.jar")) and any(lib.glob("log4j-slf4j-impl-*.jar")):
        return lib
    if shutil.which("mvn") is None:
        raise BrokerError("Maven (mvn) is needed to fetch Apache Kafka's jars")
    lib.mkdir(parents=True, exist_ok=True)
    command = [
        "mvn", "-B", "-q", "-f", str(DEPLOY_DIR / "kafka-pom.xml"),
        "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={lib}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"mvn failed ({result.returncode}): {result.stdout[-2000:]}")
    return lib


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    node_id: int
    broker_port: int
    controller_port: int
    log_dir: Path
    config: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.broker_port}"


@dataclass
class LocalKafka:
    """A single node or a small cluster on loopback, with its data under ``data_dir``."""

    data_dir: Path
    nodes_count: int = 1
    base_port: int = 0
    partitions: int = 6
    lib: Path = DEFAULT_LIB
    session_timeout_ms: int = 9000
    heartbeat_ms: int = 2000
    retention_hours: int = 168
    nodes: list[Node] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return ",".join(node.address for node in self.nodes)

    def _java(self, *args: str) -> list[str]:
        log4j = f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}"
        return ["java", *JVM_OPTS, log4j, "-cp", str(self.lib / "*"), *args]

    def _plan(self) -> None:
        if self.nodes:
            return
        for index in range(1, self.nodes_count + 1):
            if self.base_port:
                broker, controller = self.base_port + 2 * index, self.base_port + 2 * index + 1
            else:
                broker, controller = free_port(), free_port()
            node_dir = self.data_dir / f"node{index}"
            self.nodes.append(
                Node(index, broker, controller, node_dir / "data", node_dir / "server.properties")
            )

    def _render(self, node: Node) -> None:
        replication = min(3, self.nodes_count)
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        template = string.Template((DEPLOY_DIR / "server.properties.template").read_text())
        node.config.parent.mkdir(parents=True, exist_ok=True)
        node.config.write_text(
            template.substitute(
                node_id=node.node_id,
                voters=voters,
                broker_port=node.broker_port,
                controller_port=node.controller_port,
                log_dir=node.log_dir,
                partitions=self.partitions,
                offsets_partitions=min(self.partitions, 10),
                replication=replication,
                min_isr=2 if replication >= 3 else 1,
                session_timeout_ms=self.session_timeout_ms,
                heartbeat_ms=self.heartbeat_ms,
                retention_hours=self.retention_hours,
            )
        )

    def _cluster_id(self) -> str:
        marker = self.data_dir / "cluster.id"
        if marker.exists():
            return marker.read_text().strip()
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "random-uuid"),
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        cluster_id = result.stdout.strip().splitlines()[-1]
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(cluster_id)
        return cluster_id

    def format(self) -> None:
        """Render every node's properties and format its storage (kept across restarts)."""
        fetch_jars(self.lib)
        self._plan()
        cluster_id = self._cluster_id()
        for node in self.nodes:
            self._render(node)
            if (node.log_dir / "meta.properties").exists():
                continue
            result = subprocess.run(
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                           "-c", str(node.config)),
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise BrokerError(f"formatting node {node.node_id} failed: {result.stdout}")

    def start_node(self, node: Node) -> None:
        log = (node.config.parent / "broker.log").open("ab")
        node.process = subprocess.Popen(
            self._java("kafka.Kafka", str(node.config)),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()

    def start(self, timeout: float = 120.0) -> float:
        """Format and start every node; return the seconds until all answered a client."""
        began = time.monotonic()
        self.format()
        for node in self.nodes:
            self.start_node(node)
        self.wait_ready(self.nodes, timeout)
        return time.monotonic() - began

    def wait_ready(self, nodes: Sequence[Node], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for node in nodes:
            while not asyncio.run(probe(node.address)):
                if node.process is not None and node.process.poll() is not None:
                    tail = (node.config.parent / "broker.log").read_text(errors="replace")
                    raise BrokerError(f"node {node.node_id} exited:\n{tail[-3000:]}")
                if time.monotonic() > deadline:
                    raise BrokerError(f"node {node.node_id} not ready after {timeout:.0f}s")
                time.sleep(0.3)

    def kill_node(self, node: Node, sig: int = signal.SIGKILL) -> None:
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(sig)
            node.process.wait(timeout=60)
        node.process = None

    def stop(self) -> None:
        """Stop every node: SIGTERM, then SIGKILL those that do not exit in time."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_node(node)
            node.process = None

    def pids(self) -> list[int]:
        return [n.process.pid for n in self.nodes if n.process is not None]


async def probe(bootstrap: str, timeout: float = 5.0) -> bool:
    """True when the broker answers a metadata request and reports a controller."""
    from aiokafka.admin import AIOKafkaAdminClient

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # refused connections are the expected answer here
    client = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000)
    )
    try:
        await asyncio.wait_for(client.start(), timeout)
        cluster = await asyncio.wait_for(client.describe_cluster(), timeout)
        return bool(cluster.get("controller_id", -1) != -1)
    except Exception:
        return False
    finally:
        await client.close()
        quiet.setLevel(level)


def default_local(data_dir: Path, partitions: int) -> LocalKafka:
    """The single-node broker of ``make run`` with its state under ``data_dir/kafka``."""
    return LocalKafka(data_dir=data_dir / "kafka", partitions=partitions, base_port=19090)
