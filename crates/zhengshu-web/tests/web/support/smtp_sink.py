"""A real SMTP server for the tests (aiosmtpd): every message it receives
is decoded (MIME, any transfer encoding) and written to OUT_DIR as
<n>.txt, "To: …" on the first line and the plain-text body after it. It
prints its port once it accepts connections and runs until killed."""

import socket
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

OUT = Path(sys.argv[1])


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        self.count += 1
        tmp = OUT / f".{self.count}.tmp"
        tmp.write_text(f"To: {', '.join(envelope.rcpt_tos)}\n{body}", encoding="utf-8")
        tmp.rename(OUT / f"{self.count}.txt")
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
