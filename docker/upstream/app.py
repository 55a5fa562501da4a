"""Sample upstream for docker/compose.yaml, deliberately not in Node: any language works behind
the Portcullis sidecar. It trusts the X-Portcullis-* identity headers because only the sidecar
can reach it (the sidecar strips every client copy of them, `_` variants included) and echoes
them back as JSON so a curl shows who the caller is.
"""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "x-portcullis-"


class Echo(BaseHTTPRequestHandler):
    server_version = "sample-upstream/1"

    def _answer(self) -> None:
        identity = {
            name.lower()[len(PREFIX):]: value
            for name, value in self.headers.items()
            if name.lower().startswith(PREFIX)
        }
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        body = json.dumps(
            {"method": self.command, "path": self.path, "identity": identity}
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        print(f"upstream {self.address_string()} {format % args}", flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8000), Echo).serve_forever()
