#!/usr/bin/env python3
"""A minimal receiver of rightsguard webhooks: Python 3.8+, standard library only.

    python3 examples/webhook_receiver.py --port 8787 --secret whsec_...

It does what a marketplace's receiver must do:

1. verify the signature (Standard Webhooks: HMAC-SHA256 over
   "webhook-id.webhook-timestamp.body" with the base64-decoded key after
   "whsec_"; the header may carry several "v1,<sig>" entries during a key
   rotation, any one valid is enough) and refuse a stale timestamp;
2. deduplicate by webhook-id: delivery is at least once, so the same event
   can arrive again (after a crash, or when an admin redelivers it);
3. act on the event (here: print it as one JSON line, and append it to
   --log if given) and answer 2xx quickly; any other answer, or none within
   15 seconds, makes rightsguard retry with backoff for up to a day.

Events of one listing (or one account, or one store) arrive in order
("listing_seq" counts them from 1), so the last event of a listing is its
current state.

Give --secret several times (or comma-separated) to accept both secrets while
you switch after a rotation. --tolerance 0 turns the timestamp check off
(needed against a server on a manual clock, whose timestamps are not now).
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock


def secret_key(secret):
    """The HMAC key of a secret: the base64 after "whsec_", else the raw text."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def verify(secrets, msg_id, timestamp, body, header, tolerance, now=None):
    """Why the delivery is refused, or None if it is genuine."""
    if not msg_id or not timestamp or not header:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        ts = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not an integer"
    now = time.time() if now is None else now
    if tolerance and abs(now - ts) > tolerance:
        return "timestamp outside the tolerance (replayed or clock skew)"
    signed = b"%s.%s.%s" % (msg_id.encode(), timestamp.encode(), body)
    for secret in secrets:
        expected = base64.b64encode(
            hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
        ).decode()
        for entry in header.split(" "):
            version, _, sig = entry.partition(",")
            if version == "v1" and hmac.compare_digest(sig, expected):
                return None
    return "no valid signature"


class Receiver(BaseHTTPRequestHandler):
    secrets = []
    tolerance = 300
    log = None
    seen = set()  # webhook-ids processed; a real receiver keeps them in its database
    lock = Lock()

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        msg_id = self.headers.get("webhook-id", "")
        why = verify(
            self.secrets,
            msg_id,
            self.headers.get("webhook-timestamp", ""),
            body,
            self.headers.get("webhook-signature", ""),
            self.tolerance,
        )
        if why:
            self.answer(401, why)
            return
        with self.lock:
            if msg_id in self.seen:
                self.answer(204)  # already processed: acknowledge, do nothing
                return
            event = json.loads(body)
            self.act(event)
            self.seen.add(msg_id)
        self.answer(204)

    def act(self, event):
        """What the marketplace does: here, print and log the event."""
        line = json.dumps(
            {
                "id": event["id"],
                "type": event["type"],
                "listing": event["data"].get("listing"),
                "account": event["data"].get("account"),
                "listing_seq": event["listing_seq"],
                "seller": event["data"].get("seller"),
                "until": event["data"].get("until"),
            }
        )
        print(line, flush=True)
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def answer(self, status, message=""):
        self.send_response(status)
        self.send_header("content-length", str(len(message)))
        self.end_headers()
        self.wfile.write(message.encode())

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    p.add_argument("--secret", action="append", required=True,
                   help="whsec_... (repeat or comma-separate during a rotation)")
    p.add_argument("--tolerance", type=int, default=300,
                   help="seconds a timestamp may be off; 0: no check")
    p.add_argument("--log", help="append accepted events here, one JSON line each")
    args = p.parse_args()
    Receiver.secrets = [s for arg in args.secret for s in arg.split(",") if s]
    Receiver.tolerance = args.tolerance
    Receiver.log = args.log
    server = ThreadingHTTPServer((args.host, args.port), Receiver)
    host, port = server.server_address[:2]
    print(f"receiving on http://{host}:{port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
