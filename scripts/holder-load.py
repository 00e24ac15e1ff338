#!/usr/bin/env python3
"""Holder load for the import benchmark: WORKERS threads, each with a
keep-alive connection to zhengshu serve at URL, act as the demo holder in a
loop: log in (every tenth round, and first), list their certificates, apply
for an annotation (202, or 409 once the limit is reached). Every request's
start time, latency and status are appended to OUT as
"start_epoch latency_ms status what" lines until the file STOP exists.
Then, given --window START END (epoch seconds, written by the benchmark in
the file named by --window-file), prints p50/p99/max and the errors of the
requests that started inside the window. An error is a status other than
200, 202, 204 and 409, or a failed connection.
Usage: holder-load.py URL OUT STOP [WORKERS]
       holder-load.py --report OUT START END
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

OK = {200, 202, 204, 409}


def worker(url, out, stop, lock):
    u = urllib.parse.urlparse(url)
    conn = None
    token = None
    cert = None
    rounds = 0

    def call(method, path, body=None, what=""):
        nonlocal conn
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        start = time.time()
        status, data = 0, b""
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=headers)
            r = conn.getresponse()
            data = r.read()
            status = r.status
        except Exception:  # a failed connection counts as an error
            conn = None
        ms = (time.time() - start) * 1000
        with lock:
            out.write(f"{start:.6f} {ms:.3f} {status} {what}\n")
        return status, data

    while not os.path.exists(stop):
        if rounds % 10 == 0:
            token = None
            s, d = call("POST", "/api/v1/sessions",
                        {"username": "demo", "password": "Demo-2024-zhengshu"}, "login")
            if s != 200:
                time.sleep(0.1)
                continue
            token = json.loads(d)["token"]
            call("POST", "/api/v1/terms/accept", None, "terms")
        rounds += 1
        s, d = call("GET", "/api/v1/me/certificates", None, "list")
        if s == 200 and cert is None:
            for c in json.loads(d):
                if c.get("needs_annotation") and c.get("status") == "valid":
                    cert = c["id"]
                    break
        if cert is not None:
            call("POST", f"/api/v1/me/certificates/{cert}/annotations",
                 {"scenario": "self_use", "days": 30}, "apply")


def report(out, start, end):
    lat, errors, by_status = [], 0, {}
    with open(out) as f:
        for line in f:
            t, ms, status, *_ = line.split()
            if not (start <= float(t) <= end):
                continue
            lat.append(float(ms))
            by_status[status] = by_status.get(status, 0) + 1
            if int(status) not in OK:
                errors += 1
    if not lat:
        print("no holder requests during the import")
        return
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
    print(f"holders during the import: {len(lat)} requests, p50 {pct(50):.1f} ms, "
          f"p99 {pct(99):.1f} ms, max {lat[-1]:.1f} ms, {errors} errors "
          f"(statuses {dict(sorted(by_status.items()))})")


def main():
    if sys.argv[1] == "--report":
        report(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
        return
    url, out, stop = sys.argv[1:4]
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    lock = threading.Lock()
    with open(out, "w", buffering=1) as f:
        threads = [threading.Thread(target=worker, args=(url, f, stop, lock))
                   for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


if __name__ == "__main__":
    main()
