"""Obtain, start and stop a real Elasticsearch server for the test suite.

Elastic publishes a runnable test distribution of Elasticsearch to Maven Central
(``org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip``). It holds only the
core server and the ``transport-netty4``, ``x-pack-core``, ``x-pack-security`` and ``apm`` modules.
Without ``analysis-common`` the only tokenizer is ``standard`` (the ``standard``, ``simple``,
``whitespace``, ``stop`` and ``keyword`` analyzers exist, but a custom analyzer cannot use the
``whitespace`` or ``keyword`` tokenizer) and the only token filters are ``lowercase``, ``stop`` and
``shingle`` (no ``asciifolding``). There is no Painless, no ``reindex`` module (so no ``_reindex``,
``_update_by_query`` or ``_delete_by_query``), no ingest processors, no ES|QL, no ``mapper-extras``
(``search_as_you_type``...) or ``wildcard`` field, and no ``rest-root`` (``GET /`` answers 405).
It ships without a bundled JDK.

This module downloads the zip with ``mvn``, unpacks it once into a cache directory and runs it
bound to 127.0.0.1 on free ports, single-node, with security disabled and a 512 MB heap. Each
server gets its own copy of the ``config`` folder, data, logs and temporary folder inside the
``data_dir`` given to :func:`start`, so the unpacked distribution is shared read-only.

Elasticsearch refuses to run as root. When this process is root, the server is started inside a
user namespace (``unshare --user --map-user=1000 --map-group=1000``): the server sees a non-root
uid while the kernel still treats its file accesses as root's, so the cache and ``data_dir`` can
live anywhere root can write (for instance pytest's ``tmp_path``) and stay owned by root.

Command line::

    python -m tests.elasticsearch_server fetch            # download + unpack, print the home path
    python -m tests.elasticsearch_server run DATA_DIR     # start, print the URL, stop on Ctrl-C
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

ES_VERSION = "9.5.4"
"""The pinned Elasticsearch version: the newest integ-test-zip found on Maven Central that starts cleanly."""

ES_GROUP_ID = "org.elasticsearch.distribution.integ-test-zip"
ES_ARTIFACT_ID = "elasticsearch"

JVM_ROOT = Path("/usr/lib/jvm")
"""Where :func:`find_java_home` looks for a JDK (by a glob) when the default ``java`` is too old."""

HEAP = "512m"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
LOG_TAIL_LINES = 40
NAMESPACE_UID = 1000
"""The uid/gid the server sees inside its user namespace when this process runs as root."""

BASE_SETTINGS: dict[str, str] = {
    "network.host": "127.0.0.1",
    "discovery.type": "single-node",
    "xpack.security.enabled": "false",
    "xpack.ml.enabled": "false",
    "cluster.routing.allocation.disk.threshold_enabled": "false",
    "action.destructive_requires_name": "false",
    "node.name": "monitor-test",
}
"""``-E`` settings passed to every server (``ingest.geoip.*`` is unknown to this distribution: no module)."""


class ElasticsearchSetupError(RuntimeError):
    """Elasticsearch could not be downloaded, unpacked or started."""


@dataclass(frozen=True)
class RunningElasticsearch:
    """A server started by :func:`start`.

    Attributes:
        url: Base URL of the HTTP API, e.g. ``http://127.0.0.1:40123``.
        pid: PID of the launched ``bin/elasticsearch`` process (the CLI that supervises the server JVM).
        process: The ``Popen`` of that process.
        log_path: File holding the server's stdout and stderr.
        data_dir: Folder holding the server's config copy, data, logs and temporary files.
        server_pid: PID of the server JVM itself (from its pid file), if it was written.
    """

    url: str
    pid: int
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path
    data_dir: Path
    server_pid: int | None = None


def artifact(version: str = ES_VERSION) -> str:
    """Return the Maven coordinates of the integ-test-zip distribution.

    Args:
        version: The Elasticsearch version.

    Returns:
        ``groupId:artifactId:version:zip``.
    """
    return f"{ES_GROUP_ID}:{ES_ARTIFACT_ID}:{version}:zip"


def required_java(version: str) -> int:
    """Return the lowest Java feature release that Elasticsearch ``version`` runs on.

    Args:
        version: The Elasticsearch version, e.g. ``"8.19.21"``.

    Returns:
        17 for 8.x, 21 for 9.x and later.
    """
    return 17 if int(version.split(".", 1)[0]) < 9 else 21


def java_feature_version(java_home: Path) -> int | None:
    """Return the feature release (e.g. 17 or 25) of the JDK at ``java_home``, or None if it is not one.

    Args:
        java_home: A candidate JDK folder.

    Returns:
        The major version, read from the JDK's ``release`` file or else from ``java -version``.
    """
    java = java_home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    text = ""
    with contextlib.suppress(OSError):
        text = (java_home / "release").read_text(encoding="utf-8", errors="replace")
    if 'JAVA_VERSION="' not in text:
        try:
            result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        text = result.stderr
    match = re.search(r'(?:JAVA_VERSION=|version )"(\d+)(?:\.(\d+))?', text)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java_home(version: str = ES_VERSION) -> Path:
    """Find a JDK that can run Elasticsearch ``version`` (this distribution bundles none).

    Order: ``$ES_JAVA_HOME`` if set (it must be recent enough), then ``$JAVA_HOME``, then the JDK of
    the ``java`` on ``PATH``, then the newest suitable ``/usr/lib/jvm/*`` folder.

    Args:
        version: The Elasticsearch version to run.

    Returns:
        The JDK folder to pass as ``ES_JAVA_HOME``.

    Raises:
        ElasticsearchSetupError: If no suitable JDK is found.
    """
    needed = required_java(version)
    explicit = os.environ.get("ES_JAVA_HOME")
    if explicit:
        found = java_feature_version(Path(explicit))
        if found is None or found < needed:
            raise ElasticsearchSetupError(
                f"ES_JAVA_HOME={explicit} is Java {found}, but Elasticsearch {version} needs Java {needed} or newer"
            )
        return Path(explicit)
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    java_on_path = shutil.which("java")
    if java_on_path:
        candidates.append(Path(java_on_path).resolve().parent.parent)
    for candidate in candidates:
        found = java_feature_version(candidate)
        if found is not None and found >= needed:
            return candidate
    installed = [(java_feature_version(path), path) for path in sorted(JVM_ROOT.glob("*")) if path.is_dir()]
    suitable = [(found, path) for found, path in installed if found is not None and found >= needed]
    if not suitable:
        seen = ", ".join(f"{path.name} (Java {found or '?'})" for found, path in installed) or "none"
        raise ElasticsearchSetupError(
            f"Elasticsearch {version} needs Java {needed} or newer, but the default java is too old and no such JDK"
            f" is under {JVM_ROOT} (found: {seen}); install one (e.g. temurin-25-jdk) or set ES_JAVA_HOME"
        )
    return max(suitable)[1]


def cache_dir() -> Path:
    """Return the folder holding unpacked distributions.

    Returns:
        ``$MONITOR_ES_CACHE`` if set, else ``~/.cache/dongnai-monitor/elasticsearch``.
    """
    configured = os.environ.get("MONITOR_ES_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "dongnai-monitor" / "elasticsearch"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the duration of the block."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unzip(archive: Path, target: Path) -> None:
    """Extract ``archive`` into ``target``, keeping the Unix permission bits (bin/ scripts stay executable)."""
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            extracted = Path(bundle.extract(member, target))
            mode = (member.external_attr >> 16) & 0o777
            if mode and not member.is_dir():
                extracted.chmod(mode)


def _fetch_zip(version: str, target: Path) -> Path:
    """Download the distribution zip into ``target`` with Maven and return its path."""
    command = [
        "mvn",
        "-q",
        "-B",
        "dependency:copy",
        f"-Dartifact={artifact(version)}",
        f"-DoutputDirectory={target}",
        "-Dmdep.useBaseVersion=true",
        "-Dmdep.overWriteReleases=true",
    ]
    try:
        result = subprocess.run(command, cwd=target, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise ElasticsearchSetupError(
            f"cannot download {artifact(version)}: Maven (mvn) is not installed or not on PATH"
        ) from error
    zips = sorted(target.glob("*.zip"))
    if result.returncode != 0 or not zips:
        output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-LOG_TAIL_LINES:])
        raise ElasticsearchSetupError(
            f"mvn could not fetch {artifact(version)} (exit code {result.returncode});"
            f" command: {' '.join(command)}\n{output}"
        )
    return zips[0]


def ensure_distribution(version: str = ES_VERSION) -> Path:
    """Download and unpack Elasticsearch ``version`` into :func:`cache_dir` unless it is already there.

    Safe to call from several processes at once: a lock file serialises the download, and the
    unpacked tree appears under its final name by one atomic rename, so a present folder is complete.

    Args:
        version: The Elasticsearch version to fetch.

    Returns:
        The Elasticsearch home folder (holding ``bin/elasticsearch``).

    Raises:
        ElasticsearchSetupError: If Maven cannot fetch the artifact or the zip is not a distribution.
    """
    root = cache_dir()
    home = root / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").is_file():
        return home
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".elasticsearch-{version}.lock"):
        if (home / "bin" / "elasticsearch").is_file():
            return home
        with tempfile.TemporaryDirectory(prefix=f".elasticsearch-{version}-", dir=root) as scratch:
            work = Path(scratch)
            download = work / "download"
            download.mkdir()
            unpacked = work / "unpacked"
            _unzip(_fetch_zip(version, download), unpacked)
            tops = [path for path in unpacked.iterdir() if (path / "bin" / "elasticsearch").is_file()]
            if len(tops) != 1:
                raise ElasticsearchSetupError(f"{artifact(version)} does not contain one elasticsearch-*/bin folder")
            if home.exists():  # a partial tree left by something other than this function
                shutil.rmtree(home)
            tops[0].rename(home)
    return home


def distribution_version(home: Path) -> str:
    """Return the Elasticsearch version of an unpacked distribution.

    Args:
        home: The Elasticsearch home folder.

    Returns:
        The version, read from ``lib/elasticsearch-<version>.jar`` (or else the folder name).
    """
    for jar in home.glob("lib/elasticsearch-[0-9]*.jar"):
        return jar.stem.removeprefix("elasticsearch-")
    return home.name.removeprefix("elasticsearch-")


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports that are free on 127.0.0.1 right now.

    Args:
        count: How many ports.

    Returns:
        The port numbers.
    """
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def tail(path: Path, lines: int = LOG_TAIL_LINES, *, skip_stack_frames: bool = False) -> str:
    """Return the last ``lines`` lines of a text file (empty if it does not exist).

    Args:
        path: The file.
        lines: How many lines.
        skip_stack_frames: Leave out Java stack frames (lines starting with a tab and ``at `` or
            ``...``) so the error messages themselves fit in ``lines``.

    Returns:
        Those lines joined by newlines.
    """
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            kept = (line for line in handle if not (skip_stack_frames and line.startswith(("\tat ", "\t..."))))
            return "".join(deque(kept, maxlen=lines)).rstrip("\n")
    except OSError:
        return ""


def _launcher_prefix() -> list[str]:
    """Return the command prefix that keeps Elasticsearch from seeing uid 0 (empty unless this process is root)."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    prefix = [
        unshare or "unshare",
        "--user",
        f"--map-user={NAMESPACE_UID}",
        f"--map-group={NAMESPACE_UID}",
        "--",
    ]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, check=False) if unshare else None
    if probe is None or probe.returncode != 0:
        reason = "unshare is not installed" if probe is None else probe.stderr.strip()
        raise ElasticsearchSetupError(
            "Elasticsearch refuses to run as root and this process is root; starting it in a user namespace"
            f" failed ({reason}). Run the tests as a non-root user or install util-linux >= 2.38."
        )
    return prefix


def _read_pid(path: Path) -> int | None:
    """Return the integer in a pid file, or None if it is absent or not a number."""
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


class _PortTakenError(ElasticsearchSetupError):
    """The server could not bind a port chosen by :func:`free_ports` (someone else took it meanwhile)."""


def start(
    home: Path,
    data_dir: Path,
    *,
    timeout: float = START_TIMEOUT,
    settings: Mapping[str, str] | None = None,
    heap: str = HEAP,
) -> RunningElasticsearch:
    """Start Elasticsearch from ``home`` on free 127.0.0.1 ports and wait until the cluster is yellow.

    The server runs in the foreground of a child process (not daemonized) so it can be stopped by
    its own PID with :func:`stop`. Its stdout/stderr go to ``data_dir/elasticsearch.stdout.log``;
    its config copy, data, logs and temporary files are also kept under ``data_dir``. If another
    process takes one of the chosen ports before the server binds it, new ports are tried (3 attempts).

    Args:
        home: An unpacked distribution, as returned by :func:`ensure_distribution`.
        data_dir: A folder for this server (created if missing; may be reused by a later server).
        timeout: Seconds to wait for ``/_cluster/health?wait_for_status=yellow``.
        settings: Extra ``-E`` settings, overriding the defaults.
        heap: The JVM heap size (both ``-Xms`` and ``-Xmx``).

    Returns:
        The running server.

    Raises:
        ElasticsearchSetupError: If no JDK fits, or the server exits or is not yellow in time; the
            message ends with the last lines of the server's output.
    """
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            return _start_once(home, data_dir, timeout=timeout, settings=settings or {}, heap=heap)
        except _PortTakenError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _start_once(
    home: Path, data_dir: Path, *, timeout: float, settings: Mapping[str, str], heap: str
) -> RunningElasticsearch:
    """Do one attempt of :func:`start` (same arguments); raise :class:`_PortTakenError` on a port clash."""
    home = home.resolve()
    data_dir = data_dir.resolve()
    version = distribution_version(home)
    java_home = find_java_home(version)
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "config"
    shutil.copytree(home / "config", config, dirs_exist_ok=True)
    tmp = data_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    pid_file = data_dir / "elasticsearch.pid"
    pid_file.unlink(missing_ok=True)
    log_path = data_dir / "elasticsearch.stdout.log"

    http_port, transport_port = free_ports(2)
    options = {
        **BASE_SETTINGS,
        "http.port": str(http_port),
        "transport.port": str(transport_port),
        "cluster.name": f"monitor-test-{uuid.uuid4().hex[:12]}",
        "path.data": str(data_dir / "data"),
        "path.logs": str(data_dir / "logs"),
        **settings,
    }
    command = [*_launcher_prefix(), str(home / "bin" / "elasticsearch"), "-p", str(pid_file)]
    command += [f"-E{name}={value}" for name, value in options.items()]
    env = {
        **os.environ,
        "ES_JAVA_HOME": str(java_home),
        "ES_PATH_CONF": str(config),
        "ES_TMPDIR": str(tmp),
        # No heap pre-touch: the resident size then reflects use, not the whole heap.
        "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap} -XX:-AlwaysPreTouch",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    server = RunningElasticsearch(
        url=f"http://127.0.0.1:{options['http.port']}",
        pid=process.pid,
        process=process,
        log_path=log_path,
        data_dir=data_dir,
    )
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=10.0) as client:
        while True:
            if process.poll() is not None:
                failure = f"Elasticsearch {version} exited with code {process.returncode} while starting"
                break
            if time.monotonic() > deadline:
                failure = f"Elasticsearch {version} was not yellow within {timeout:.0f} s"
                break
            try:
                response = client.get(
                    f"{server.url}/_cluster/health", params={"wait_for_status": "yellow", "timeout": "1s"}
                )
                if response.status_code == 200:
                    return dataclasses.replace(server, server_pid=_read_pid(pid_file))
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    stop(dataclasses.replace(server, server_pid=_read_pid(pid_file)))
    output = tail(log_path, skip_stack_frames=True)
    error = (
        _PortTakenError if "BindException" in output or "Address already in use" in output else ElasticsearchSetupError
    )
    raise error(
        f"{failure} (command: {' '.join(command)}); last {LOG_TAIL_LINES} lines of {log_path}"
        f" (without Java stack frames):\n{output}"
    )


def _is_server_of(pid: int, data_dir: Path) -> bool:
    """Tell whether ``pid`` is still a process whose command line points into ``data_dir``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(data_dir).encode() in cmdline


def stop(server: RunningElasticsearch) -> None:
    """Stop a server started by :func:`start`: SIGTERM to its PID, up to 30 s of grace, then SIGKILL.

    The launched CLI stops the server JVM when it gets SIGTERM; if that JVM outlives it anyway, it
    is killed too.

    Args:
        server: The server to stop.
    """
    process = server.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGKILL)
            process.wait()
    if server.server_pid is None:
        return
    deadline = time.monotonic() + 5.0
    while _is_server_of(server.server_pid, server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _is_server_of(server.server_pid, server.data_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.server_pid, signal.SIGKILL)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into KeyboardInterrupt so ``run`` stops its server on either signal."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line: ``fetch`` or ``run DATA_DIR``.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m tests.elasticsearch_server", description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=ES_VERSION, help=f"Elasticsearch version (default {ES_VERSION})")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download and unpack the distribution; print its home folder")
    run = commands.add_parser("run", help="start a server, print its URL, stop it on Ctrl-C")
    run.add_argument("data_dir", type=Path, help="folder for the server's config, data and logs")
    args = parser.parse_args(argv)
    try:
        home = ensure_distribution(args.version)
        if args.command == "fetch":
            print(home)
            return 0
        started = time.monotonic()
        server = start(home, args.data_dir)
    except ElasticsearchSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(server.url, flush=True)
    print(
        f"Elasticsearch {distribution_version(home)} yellow after {time.monotonic() - started:.1f} s"
        f" (pid {server.pid}, server pid {server.server_pid}, log {server.log_path}); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        server.process.wait()
        print(f"Elasticsearch exited with code {server.process.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(server)


if __name__ == "__main__":
    sys.exit(main())
