"""An SMTP sink for bench/soak.py: one line per message received (recipients and subject) in the file given."""

import socket
import sys
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        subject = message_from_bytes(envelope.content).get("Subject", "")
        with open(self.path, "a") as log:
            log.write(f"{','.join(envelope.rcpt_tos)}\t{subject}\n")
        return "250 OK"


if __name__ == "__main__":
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Sink(sys.argv[1]), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on port {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
