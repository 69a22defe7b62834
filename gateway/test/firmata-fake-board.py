"""A StandardFirmata board on a pseudo-terminal, for test/firmata-serial.test.ts.

Prints the slave's path (what the gateway opens as its serial port), then speaks the
Firmata wire protocol on the master side: the version and firmware banner, capability and
analog-mapping answers for an Uno-like pin table, analog reports every 19 ms for the
channels the host enabled, and one line on stdout per pin mode and digital write it gets.
stdin takes `A<channel> <raw>` to change an analog value; EOF ends the board.
"""
import os
import pty
import select
import sys
import time
import tty

PINS = 20  # D0-D13, A0-A5 on 14-19
ANALOG_FIRST = 14
master, slave = pty.openpty()
tty.setraw(slave)
os.set_blocking(master, False)
print(os.ttyname(slave), flush=True)

analog = {ch: 0 for ch in range(6)}
reporting = set()
handshaken = False
buf = bytearray()


def send(data):
    try:
        os.write(master, bytes(data))
    except (BlockingIOError, OSError):
        pass  # nobody reading: a board's UART drops bytes too


def banner():
    name = "StandardFirmata.ino"
    body = [0xF0, 0x79, 2, 5]
    for ch in name.encode():
        body += [ch & 0x7F, ch >> 7]
    send([0xF9, 2, 5] + body + [0xF7])


def capabilities():
    out = [0xF0, 0x6C]
    for pin in range(PINS):
        if pin >= 2:
            out += [0, 1, 1, 1]  # INPUT, OUTPUT
        if pin >= ANALOG_FIRST:
            out += [2, 10]  # ANALOG, 10 bits
        out.append(0x7F)
    send(out + [0xF7])


def mapping():
    send([0xF0, 0x6A] + [pin - ANALOG_FIRST if pin >= ANALOG_FIRST else 127 for pin in range(PINS)] + [0xF7])


def handle():
    """Consumes complete messages from buf; returns when one is incomplete."""
    global handshaken
    while buf:
        cmd = buf[0]
        if cmd == 0xF0:
            if 0xF7 not in buf:
                return
            end = buf.index(0xF7)
            sysex = buf[1:end]
            del buf[: end + 1]
            if sysex[:1] == b"\x79":
                banner()
            elif sysex[:1] == b"\x6B":
                handshaken = True
                capabilities()
            elif sysex[:1] == b"\x69":
                mapping()
        elif cmd == 0xF9:
            del buf[:1]
            banner()
        elif cmd & 0xF0 in (0x90, 0xE0) or cmd in (0xF4, 0xF5):
            if len(buf) < 3:
                return
            a, b = buf[1], buf[2]
            del buf[:3]
            if cmd == 0xF4:
                print(f"mode {a} {b}", flush=True)
            elif cmd == 0xF5:
                print(f"pin {a} {b}", flush=True)
            elif cmd & 0xF0 == 0x90:
                print(f"port {cmd & 0x0F} {a | (b << 7)}", flush=True)
        elif cmd & 0xF0 in (0xC0, 0xD0):
            if len(buf) < 2:
                return
            if cmd & 0xF0 == 0xC0:
                (reporting.add if buf[1] else reporting.discard)(cmd & 0x0F)
            del buf[:2]
        else:
            del buf[:1]


last_banner = 0.0
last_report = 0.0
while True:
    ready, _, _ = select.select([master, sys.stdin], [], [], 0.005)
    if master in ready:
        try:
            buf += os.read(master, 1024)
        except OSError:
            pass  # no one has the slave open yet (or any more)
        handle()
    if sys.stdin in ready:
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)
        pin, raw = line.split()
        analog[int(pin[1:])] = int(raw)
    now = time.monotonic()
    # A real board sends its banner once after reset; the host may not be listening yet.
    if not handshaken and now - last_banner > 0.2:
        last_banner = now
        banner()
    if handshaken and now - last_report > 0.019:
        last_report = now
        for ch in sorted(reporting):
            send([0xE0 | ch, analog[ch] & 0x7F, analog[ch] >> 7])
