#!/usr/bin/env python3
"""Load for the soak test: WORKERS threads, each on a keep-alive
connection to zhengshu serve at URL, act as the demo holder and as
verifiers in a loop until the file STOP exists: log in (first, then every
twentieth round) and agree to the terms, list the certificates, read one,
apply for an annotation every fifth round, read the annotations, download a
ready document, verify its 查验码 (API and page), verify an unknown code and
a number + name, search rare characters, open the scope page and the log-in
page. Each request's expected statuses are listed; anything else, or a
failed connection, is an error. Prints one summary line as JSON at the end:
requests, errors, and the first few errors.
Usage: soak-load.py URL STOP [WORKERS]
"""
import http.client
import json
import os
import sys
import threading
import urllib.parse

url, stop = sys.argv[1], sys.argv[2]
workers = int(sys.argv[3]) if len(sys.argv) > 3 else 6
u = urllib.parse.urlparse(url)
lock = threading.Lock()
totals = {"requests": 0, "errors": 0, "first_errors": []}


def worker(n):
    conn = None
    token = None
    rounds = 0

    def call(method, path, expect, body=None):
        nonlocal conn
        headers = {"Content-Type": "application/json", "Accept-Language": ["zh-CN", "zh-TW", "en"][n % 3]}
        if token:
            headers["Authorization"] = "Bearer " + token
        status, data = 0, b""
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            r = conn.getresponse()
            data = r.read()
            status = r.status
        except Exception as e:  # a failed connection is an error
            conn = None
            data = str(e).encode()
        with lock:
            totals["requests"] += 1
            if status not in expect:
                totals["errors"] += 1
                if len(totals["first_errors"]) < 5:
                    totals["first_errors"].append(f"{method} {path} -> {status} {data[:200]!r}")
        return status, data

    while not os.path.exists(stop):
        if rounds % 20 == 0:
            token = None
            s, d = call("POST", "/api/v1/sessions", {200},
                        {"username": "demo", "password": "Demo-2024-zhengshu"})
            if s != 200:
                continue
            token = json.loads(d)["token"]
            call("POST", "/api/v1/terms/accept", {204})
        rounds += 1
        s, d = call("GET", "/api/v1/me/certificates", {200})
        certs = json.loads(d) if s == 200 else []
        if not certs:
            continue
        cert = certs[rounds % len(certs)]
        call("GET", f"/api/v1/me/certificates/{cert['id']}", {200})
        if rounds % 5 == 0:
            # 202, or 409 for a certificate that needs no annotation or is revoked.
            call("POST", f"/api/v1/me/certificates/{cert['id']}/annotations", {202, 409},
                 {"scenario": "self_use", "days": 30})
        s, d = call("GET", f"/api/v1/me/certificates/{cert['id']}/annotations", {200})
        ready = [a for a in (json.loads(d) if s == 200 else []) if a["state"] == "ready"]
        if ready:
            a = ready[rounds % len(ready)]
            if rounds % 3 == 0:
                call("GET", f"/api/v1/me/annotations/{a['id']}/document", {200})
            call("GET", f"/api/v1/verify/{a['verification_code']}", {200})
            call("GET", f"/verify/{a['verification_code']}", {200})
        call("GET", f"/api/v1/verify/ZS{rounds:012d}XQ", {200})
        call("POST", "/api/v1/verify", {200},
             {"certificate_number": cert["number"], "name": "张三"})
        call("GET", "/api/v1/rare-chars?pinyin=yan&limit=20", {200})
        call("GET", "/scope", {200})
        call("GET", "/login", {200})


threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(totals, ensure_ascii=False))
