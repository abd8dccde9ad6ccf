"""A local SMTP sink for rightsguard's notification tests.

Usage: smtp_sink.py PORT DIR

Listens on 127.0.0.1:PORT (aiosmtpd), accepts every message and writes it to
DIR as one JSON file per message (written under a temporary name, then
renamed, so a reader never sees half a file): the envelope (mail_from,
rcpt_tos) and the parsed message (message_id, subject, from, to, date,
content_language and the body, decoded by Python's email package). Prints
"ready" once it listens; runs until killed.
"""

import email
import email.policy
import itertools
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": str(msg["Message-ID"] or ""),
            "subject": str(msg["Subject"] or ""),
            "from": str(msg["From"] or ""),
            "to": str(msg["To"] or ""),
            "date": str(msg["Date"] or ""),
            "body": body.get_content() if body is not None else "",
        }
        with self.lock:
            n = next(self.counter)
        name = f"{os.getpid()}-{n:06}.json"
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, os.path.join(self.directory, name))
        return "250 Message accepted"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
