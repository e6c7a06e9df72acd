"""A read-only HTTP server for the published outputs, so the links in the Dagster UI open.

`python -m dagster_project.outputs_server [--port N]` (run by `make dev`): 127.0.0.1 only,
GET and HEAD only, and only the folders `outputs.output_roots` names; anything resolving
outside them (`..`, a symlink out) is 404.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dagster_project import outputs
from dagster_project.settings import Settings


class OutputsHandler(SimpleHTTPRequestHandler):
    roots: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        parts = [p for p in unquote(urlsplit(path).path).split("/") if p]
        if not parts or parts[0] not in self.roots:
            return ""
        root = self.roots[parts[0]].resolve()
        target = root.joinpath(*parts[1:]).resolve()
        if target != root and root not in target.parents:
            return ""
        return str(target)

    def send_head(self):
        if not self.translate_path(self.path):
            self.send_error(HTTPStatus.NOT_FOUND, "not a published output")
            return None
        return super().send_head()

    def log_message(self, format, *args):  # quiet: one line per request would drown `make dev`
        pass


def serve(roots: dict[str, Path], port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("Handler", (OutputsHandler,), {"roots": dict(roots)})
    return ThreadingHTTPServer((host, port), handler)


def _stop_with_parent(server: ThreadingHTTPServer) -> None:
    """`make dev` starts this server, then replaces its shell with `dagster dev` (exec): when that
    process ends, however it is stopped, this one is re-parented and stops too."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        server.shutdown()

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=outputs.port())
    args = parser.parse_args(argv)
    # Started with `&` by make, SIGINT arrives ignored: stop on Ctrl-C and on SIGTERM all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = Settings.from_env()
    server = serve(outputs.output_roots(settings.data_dir, settings.exports), args.port)
    print(f"toex: published outputs read-only at http://127.0.0.1:{args.port}/exports/", flush=True)
    _stop_with_parent(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
