"""The API client the bench seeders share: one keep-alive connection per
thread to the server at `base`, JSON in and out; an error answer ends the
run with its status and the start of its body."""
import http.client
import json
import threading
import urllib.parse


class Api:
    def __init__(self, base):
        self.url = urllib.parse.urlparse(base)
        self.local = threading.local()

    def call(self, method, path, token, body=None):
        if not hasattr(self.local, "c"):
            self.local.c = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=60)
        data = json.dumps(body) if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.local.c.request(method, path, body=data, headers=headers)
        r = self.local.c.getresponse()
        text = r.read()
        if r.status >= 300:
            raise SystemExit(f"{method} {path}: {r.status} {text[:300]!r}")
        return json.loads(text)
