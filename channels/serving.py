"""gunicorn worker for Redis mode: USSD hops on a plain sync loop, live streams on threads.

Why: a USSD hop is short and CPU-bound, and gunicorn's sync worker (accept, answer, close) is
the cheapest way to serve it on an otherwise quiet machine: measured on 2 cores, a bare Flask +
Redis hop served 30 % more hops/s under sync workers than under gthread ones.  A gthread worker
also keeps every keep-alive connection it accepted, so the throughput depended on how the
gateway's connections happened to be spread over the workers; a sync worker closes each
connection after its answer, so every hop is accepted again by whichever worker is free.
``bench/README.md`` has the figures, and the case where gthread does better (a machine whose
CPUs are taken by other work).

But the web chat and the agent console hold a server-sent event stream open for minutes, which
would block a sync worker (and get it killed by gunicorn's timeout).  :class:`HopWorker` is the
sync worker, except that a request for one of those streams is handed to a thread of its own as
soon as its head is read; the thread runs the same WSGI app, so the streams stay on the same
port and origin, and cost the hop loop nothing while they wait.  ``threads`` (GUNICORN_THREADS)
plus the console's own limit (``AGENT_MAX_STREAMS``, :func:`channels.config.agent_stream_limit`)
bound the stream threads of one worker: web chat streams take at most half of the threads, and a
whole shift of agents keeps its live screens; beyond, the stream gets a 503, as when the app
itself has no stream slot left.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
import threading

from gunicorn import http, sock
from gunicorn.workers.sync import SyncWorker

from channels.config import agent_stream_limit

STREAM_PATHS = re.compile(r"/(?:webchat/sessions/[^/]+/events|agent/events)$")
"""Requests that hold their connection open (server-sent events), under any path prefix a
proxy may add: one served on the sync loop would block it until gunicorn's timeout."""

BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: 15\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
        b'{"error":"too many live streams: retry"}')


def close_now(client: socket.socket, max_drain: int = 65536) -> None:
    """Send FIN, drop what the client has already sent, close: without waiting for its FIN.

    gunicorn's own ``close_graceful`` then waits up to 2 s for the client to close its side,
    which blocks a sync worker for a round trip per hop (the gateway's, or a busy client's).
    The answer says ``Connection: close`` and the whole request was read, so nothing more is
    expected; the drain only avoids a reset when a client sent more anyway.
    """
    try:
        client.shutdown(socket.SHUT_WR)
        client.setblocking(False)
        drained = 0
        while drained < max_drain:
            chunk = client.recv(16384)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:  # nothing more to read (BlockingIOError), or the client is gone
        pass
    finally:
        client.close()


class HopWorker(SyncWorker):
    """A sync worker that serves server-sent event streams on threads (see the module doc)."""

    def init_process(self) -> None:
        self.stream_slots = threading.BoundedSemaphore(
            max(1, self.cfg.threads) + agent_stream_limit())
        super().init_process()

    def handle(self, listener, client, addr) -> None:
        """``SyncWorker.handle``, but a stream's connection is left open for its thread."""
        req = None
        handed_off = False
        try:
            if self.cfg.is_ssl:
                client = sock.ssl_wrap_socket(client, self.cfg)
            parser = http.get_parser(self.cfg, client, addr)
            req = next(parser)
            if STREAM_PATHS.search(req.path or ""):
                handed_off = self.stream(listener, req, client, addr)
            else:
                self.handle_request(listener, req, client, addr)
        except http.errors.NoMoreData as e:
            self.log.debug("Ignored premature client disconnection. %s", e)
        except StopIteration as e:
            self.log.debug("Closing connection. %s", e)
        except ssl.SSLError as e:
            if e.args[0] == ssl.SSL_ERROR_EOF:
                self.log.debug("ssl connection closed")
            else:
                self.handle_error(req, client, addr, e)
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
        except BaseException as e:
            self.handle_error(req, client, addr, e)
        finally:
            if not handed_off:
                close_now(client)

    def stream(self, listener, req, client, addr) -> bool:
        """Serve ``req`` on a new thread; False (and a 503 sent) when every slot is taken."""
        if not self.stream_slots.acquire(blocking=False):
            client.sendall(BUSY)
            return False
        thread = threading.Thread(target=self._serve_stream, args=(listener, req, client, addr),
                                  name="event-stream", daemon=True)
        try:
            thread.start()
        except BaseException:
            self.stream_slots.release()
            raise
        return True

    def _serve_stream(self, listener, req, client, addr) -> None:
        try:
            self.handle_request(listener, req, client, addr)
        except (StopIteration, OSError):
            pass  # the browser went away, or the stream failed after its head: it reconnects
        except BaseException as e:  # noqa: BLE001 - a 500 for the browser, logged by gunicorn
            self.handle_error(req, client, addr, e)
        finally:
            close_now(client)
            self.stream_slots.release()
