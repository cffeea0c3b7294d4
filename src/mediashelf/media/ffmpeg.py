"""The one way to run ffmpeg and ffprobe.

- Argument lists, never a shell string.
- Every input and output path is passed as `file:PATH`, so a name such as
  `-i.mp4` or `http:x.mp4` is always read as a local file, never as an
  option or a URL.
- Every call has a timeout; a process that hangs is killed.
- Output goes to a temporary name beside the target and is renamed into
  place only when ffmpeg succeeds: a failure or a kill leaves nothing
  half-written.
- stderr is kept for the error message (its last lines; never parsed).
- Long work that the caller watches and may stop (HLS segments) is started
  with `start`, on the same terms.

The binary is the system's `ffmpeg` when there is one, else the one the
imageio-ffmpeg package ships.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import IO, Any

_ENV = {**os.environ, "AV_LOG_FORCE_NOCOLOR": "1"}


class FFmpegError(Exception):
    """ffmpeg or ffprobe failed; the message says why in ffmpeg's own words."""


class FFmpegMissing(FFmpegError):
    """The ffmpeg or ffprobe program is not installed: a fault of the machine, not the file."""


class FFmpegTimeout(FFmpegError):
    """ffmpeg or ffprobe ran past its time limit and was stopped (a loaded disk, or a
    file that makes it hang)."""


@cache
def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise FFmpegError(
            "ffmpeg not found: install ffmpeg or `pip install imageio-ffmpeg`"
        ) from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@cache
def ffprobe_binary() -> str | None:
    """The system's ffprobe, else one in this Python's bin folder (`make` puts a static
    build there when the system has none), else one beside the ffmpeg in use."""
    found = shutil.which("ffprobe")
    if found:
        return found
    for beside in (
        Path(sys.executable).with_name("ffprobe"),
        Path(ffmpeg_binary()).with_name("ffprobe"),
    ):
        if beside.is_file() and os.access(beside, os.X_OK):
            return str(beside)
    return None


def src(path: str | os.PathLike[str]) -> str:
    """A path as ffmpeg must see it: a local file, whatever its name looks like."""
    return "file:" + os.fspath(path)


def _tail(stderr: bytes, lines: int = 3) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return " / ".join(line.strip() for line in text[-lines:]) or "no message"


def _call(argv: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    name = Path(argv[0]).name
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=_ENV
        )
    except subprocess.TimeoutExpired:
        raise FFmpegTimeout(f"{name} took longer than {timeout:g} s and was stopped") from None
    except OSError as exc:
        raise FFmpegError(f"cannot run {name}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise FFmpegError(f"{name} failed: {_tail(done.stderr)}")
    return done


def _argv(args: list[str]) -> list[str]:
    return [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", *args]


def run(args: list[str], *, timeout: float, feed: list[str] | None = None) -> bytes:
    """Run ffmpeg with these arguments (no output file managed); its stdout.

    `feed`: the arguments of a second ffmpeg whose output (`pipe:1`) is this
    one's `pipe:0` input: stream copying with a bitstream filter, say, which
    Debian's ffmpeg 5.1 applies on output only."""
    if feed is not None:
        _pipe(_argv(feed), _argv(args), timeout)
        return b""
    return _call(_argv(args), timeout).stdout


def _pipe(feed_argv: list[str], argv: list[str], timeout: float) -> None:
    """feed_argv | argv, both stopped at the timeout. Only the second one's result
    counts: the first may end on a broken pipe when the second needs no more."""
    with tempfile.TemporaryFile() as feed_err, tempfile.TemporaryFile() as err:
        try:
            feeder = subprocess.Popen(
                feed_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=feed_err,
                env=_ENV,
            )  # fmt: skip
        except OSError as exc:
            raise FFmpegError(f"cannot run ffmpeg: {exc.strerror or exc}") from None
        assert feeder.stdout is not None
        try:
            main = subprocess.Popen(
                argv, stdin=feeder.stdout, stdout=subprocess.DEVNULL, stderr=err, env=_ENV
            )
        except OSError as exc:
            feeder.kill()
            feeder.wait()
            raise FFmpegError(f"cannot run ffmpeg: {exc.strerror or exc}") from None
        finally:
            feeder.stdout.close()  # the second process holds its own copy
        try:
            main.wait(timeout)
            feeder.wait(10)
        except subprocess.TimeoutExpired:
            for proc in (main, feeder):
                proc.kill()
                proc.wait()
            raise FFmpegTimeout(f"ffmpeg took longer than {timeout:g} s and was stopped") from None
        if main.returncode != 0:
            err.seek(0)
            feed_err.seek(0)
            raise FFmpegError(f"ffmpeg failed: {_tail(feed_err.read() + err.read())}")


def make(args: list[str], dst: Path, *, timeout: float) -> Path:
    """Run ffmpeg writing one file, `dst`, atomically: `args` are everything before the
    output. The temporary name keeps dst's suffix, so ffmpeg picks the same format."""
    make_many(args, [([], dst)], timeout=timeout)
    return dst


def make_many(
    args: list[str], outputs: list[tuple[list[str], Path]], *, timeout: float
) -> list[Path]:
    """Run ffmpeg once writing several files, all or none: `args` come before the
    outputs, each output is (its own options, its path). Each is written under a
    temporary name with the same suffix and renamed only when ffmpeg succeeds."""
    temps = []
    argv = list(args)
    for options, dst in outputs:
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.stem}.{os.getpid()}.part{dst.suffix}")
        temps.append(tmp)
        argv += [*options, "-y", src(tmp)]
    try:
        run(argv, timeout=timeout)
        if any(not tmp.is_file() or tmp.stat().st_size == 0 for tmp in temps):
            raise FFmpegError("ffmpeg wrote nothing")
        for tmp, (_, dst) in zip(temps, outputs, strict=True):
            os.replace(tmp, dst)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return [dst for _, dst in outputs]


def make_dir(
    args: list[str], dst: Path, pattern: str, *, timeout: float, feed: list[str] | None = None
) -> Path:
    """Run ffmpeg writing numbered files (`pattern`, e.g. "sheet%03d.jpg") into a new
    folder `dst`, atomically: a temporary folder renamed into place on success."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        run([*args, "-y", src(tmp / pattern)], timeout=timeout, feed=feed)
        if not any(tmp.iterdir()):
            raise FFmpegError("ffmpeg wrote nothing")
        old = dst.with_name(f".{dst.name}.{os.getpid()}.old")
        if dst.exists():
            os.replace(dst, old)
        os.replace(tmp, dst)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dst


def ffprobe_json(
    args: list[str], path: str | os.PathLike[str], *, timeout: float = 30
) -> dict[str, Any]:
    """ffprobe's JSON answer for a file, with these arguments (-show_* and the like)."""
    binary = ffprobe_binary()
    if binary is None:
        raise FFmpegMissing("ffprobe not found: install ffmpeg (it includes ffprobe)")
    argv = [binary, "-hide_banner", "-loglevel", "error", "-print_format", "json", *args]
    out = _call([*argv, src(path)], timeout).stdout
    try:
        data: dict[str, Any] = json.loads(out)
    except ValueError:
        raise FFmpegError("ffprobe gave no readable answer") from None
    return data


def probe(
    path: str | os.PathLike[str], *, timeout: float = 30, extra: list[str] | None = None
) -> dict[str, Any]:
    """ffprobe's JSON (format and streams, and what `extra` asks for) for a file."""
    data = ffprobe_json(["-show_format", "-show_streams", *(extra or [])], path, timeout=timeout)
    if not data.get("streams") and not data.get("format"):
        raise FFmpegError("ffprobe found nothing it can read in the file")
    return data


class Process:
    """An ffmpeg started by `start`: the caller polls it, and kills it or lets it finish.

    Either way it must end with `kill()` or `check()`, which reap the process and
    close its stderr file.
    """

    def __init__(self, popen: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self.popen = popen
        self._stderr = stderr

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        return self.popen.poll()

    def kill(self) -> None:
        """Stop it now (SIGKILL) and reap it; nothing if it has already exited."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self._stderr.close()

    def check(self) -> None:
        """Wait for it to exit; raise FFmpegError, in ffmpeg's words, if it failed."""
        try:
            code = self.popen.wait()
            if code != 0:
                self._stderr.seek(0)
                raise FFmpegError(f"ffmpeg failed: {_tail(self._stderr.read())}")
        finally:
            self._stderr.close()


def start(args: list[str]) -> Process:
    """Start ffmpeg with these arguments (outputs included, each through `src`) and
    return at once. For work that runs for seconds and that the caller may stop
    (HLS segments): it enforces its own time limit. stderr goes to an unnamed
    temporary file, never a pipe that could fill and stall ffmpeg."""
    argv = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", *args]
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Process.kill or check
    try:
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=_ENV
        )
    except OSError as exc:
        stderr.close()
        raise FFmpegError(f"cannot run ffmpeg: {exc.strerror or exc}") from None
    return Process(popen, stderr)
