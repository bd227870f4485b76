"""The socket between the grader and a student's process: whole messages, with deadlines.

A message is a dict of plain data (``seqbook.course.wire``) sent as numbered datagrams on
a ``SOCK_SEQPACKET`` socket pair, each carrying a header (a magic word, the message's
sequence number, the chunk's index, whether it is the last). The grader numbers each
request at random when it sends it and drains the socket first, and the answer carries
the same number, so nothing a submission sent before (while its cells ran) can pass for
the answer to a call. The socket keeps datagram
boundaries, so bytes a submission writes to the socket on its own (``os.write`` to every
descriptor) arrive as datagrams of their own, which the grader ignores, as it ignores
anything that is not a complete, valid message with the sequence number it waits for.
Whatever the student's process sends, the grader gets one valid message, a timeout or
the end of the connection.
"""

import select
import socket
import struct
import time

from seqbook.course import wire

MAGIC = b"SQB1"
HEADER = struct.Struct("<4sQIB")  # magic, sequence number, chunk index, last chunk
CHUNK = 60_000  # bytes of payload per datagram


class LinkClosed(ConnectionError):
    """The other side closed the connection (the student's process ended)."""


class LinkTimeout(TimeoutError):
    """No valid message arrived before the deadline."""


def pair():
    """A connected pair of sockets (grader's end, student's end)."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def _wait(sock, deadline, for_writing=False):
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise LinkTimeout("no answer in time")
    watched = [sock]
    ready = select.select([] if for_writing else watched, watched if for_writing else [],
                          [], remaining)
    if not any(ready):
        raise LinkTimeout("no answer in time")


def drain(sock):
    """Throw away every datagram waiting on ``sock``: nothing sent before a request can
    be its answer."""
    while True:
        try:
            if not sock.recv(HEADER.size + CHUNK, socket.MSG_DONTWAIT):
                return
        except (BlockingIOError, OSError):
            return


def send(sock, seq, message, deadline=None, handle_of=None):
    """Send ``message`` (a dict of plain data) as message number ``seq``.

    Returns the numpy arrays it held, in encoding order. Raises ``wire.NotPlainData`` for a
    message that is not plain data, ``LinkClosed`` or ``LinkTimeout``.
    """
    payload, arrays = wire.encode(message, handle_of)
    chunks = [payload[at:at + CHUNK] for at in range(0, len(payload), CHUNK)] or [b""]
    for index, chunk in enumerate(chunks):
        datagram = HEADER.pack(MAGIC, seq, index, index == len(chunks) - 1) + chunk
        while True:
            _wait(sock, deadline, for_writing=True)
            try:
                sock.send(datagram, socket.MSG_DONTWAIT)
                break
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError, OSError) as error:
                raise LinkClosed(str(error)) from None
    return arrays


def receive(sock, seq, deadline=None, make_callable=None):
    """The next complete, valid message numbered ``seq`` (any number for None, then put
    into the message as ``"seq"``), as ``(message, arrays)``.

    Everything else that arrives is ignored. Raises ``LinkClosed`` when the other side has
    closed its end, ``LinkTimeout`` at ``deadline`` (a ``time.monotonic()`` value).
    """
    parts, size, parts_seq = [], 0, None
    while True:
        _wait(sock, deadline)
        try:
            datagram = sock.recv(HEADER.size + CHUNK, socket.MSG_DONTWAIT)
        except BlockingIOError:
            continue
        except (ConnectionResetError, OSError) as error:
            raise LinkClosed(str(error)) from None
        if not datagram:
            raise LinkClosed("the other side closed the connection")
        if len(datagram) < HEADER.size:
            continue
        magic, number, index, last = HEADER.unpack_from(datagram)
        if magic != MAGIC or (seq is not None and number != seq):
            continue
        if parts and number != parts_seq:
            parts, size = [], 0
        parts_seq = number
        if index != len(parts):  # out of order: a forged chunk; start again
            parts, size = [], 0
            if index != 0:
                continue
        chunk = datagram[HEADER.size:]
        size += len(chunk)
        if size > wire.MAX_BYTES:
            parts, size = [], 0
            continue
        parts.append(chunk)
        if last:
            try:
                message, arrays = wire.decode(b"".join(parts), make_callable)
            except wire.WireError:
                message = None
            if isinstance(message, dict) and isinstance(message.get("op"), str):
                if seq is None:
                    message["seq"] = number
                return message, arrays
            parts, size = [], 0
