#!/usr/bin/env python3
"""Hostile and busy clients against a lecternd on 127.0.0.1:PORT.

usage: slow_clients.py PORT slowloris|slowbody|many [N]
  slowloris: sends a request head one byte per 0.5 s; prints the seconds until the server closed.
  slowbody:  sends a POST head with Content-Length 1000, then one body byte per 0.5 s; same output.
  many:      opens N connections at once, each GET / ; prints how many got 200.
"""
import socket, sys, threading, time

port, mode = int(sys.argv[1]), sys.argv[2]


def trickle(prefix, trickled):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(prefix)
    start = time.time()
    try:
        for byte in trickled:
            s.sendall(bytes([byte]))
            time.sleep(0.5)
            if time.time() - start > 60:
                break
        s.settimeout(5)
        data = s.recv(1)
        print(f"{time.time() - start:.1f} {'closed' if not data else 'answered'}")
    except (BrokenPipeError, ConnectionResetError):
        print(f"{time.time() - start:.1f} closed")


if mode == "slowloris":
    trickle(b"GET / HTTP/1.1\r\n", b"Host: x\r\n" + b"X-Slow: " + b"a" * 200)
elif mode == "slowbody":
    trickle(b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n", b"{" * 1000)
elif mode == "many":
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def one():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            barrier.wait(timeout=30)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            with lock:
                results.append(data.startswith(b"HTTP/1.1 200"))
        except Exception:
            with lock:
                results.append(False)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(f"{sum(results)} of {count}")
