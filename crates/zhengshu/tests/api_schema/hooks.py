"""Schemathesis hooks of the API schema test (crates/zhengshu/tests/api_schema.rs).

- Authentication: the demo holder's bearer token, from a real log-in
  (`POST /api/v1/sessions`) with the terms agreed. A case that logs out
  (`DELETE /api/v1/sessions/current`) ends that token; the next call answers
  401, and Schemathesis logs in again and repeats it.
- Bodies of `application/pdf` (`POST /api/v1/verify/document`): arbitrary
  bytes, bytes behind a PDF header, and a genuine signed document from the
  test's own server with one byte changed or cut short.

The test sets ZHENGSHU_API (the server's base URL), ZHENGSHU_USER,
ZHENGSHU_PASSWORD and ZHENGSHU_SAMPLE_PDF (a document file).
"""

import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st

BASE = os.environ["ZHENGSHU_API"]
USER = os.environ["ZHENGSHU_USER"]
PASSWORD = os.environ["ZHENGSHU_PASSWORD"]


def _post(path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(BASE + path, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


@schemathesis.auth()
class DemoHolder:
    """The demo holder, signed in, the terms agreed."""

    def get(self, case, context):
        token = _post("/api/v1/sessions", {"username": USER, "password": PASSWORD})["token"]
        _post("/api/v1/terms/accept", token=token)
        return token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = "Bearer " + data


with open(os.environ["ZHENGSHU_SAMPLE_PDF"], "rb") as f:
    SAMPLE = f.read()


@st.composite
def _edited_sample(draw):
    at = draw(st.integers(min_value=0, max_value=len(SAMPLE) - 1))
    if draw(st.booleans()):
        return SAMPLE[:at]
    flip = draw(st.integers(min_value=1, max_value=255))
    return SAMPLE[:at] + bytes([SAMPLE[at] ^ flip]) + SAMPLE[at + 1 :]


schemathesis.openapi.media_type(
    "application/pdf",
    st.one_of(
        st.binary(max_size=4096),
        st.binary(max_size=4096).map(lambda b: b"%PDF-1.7\n" + b),
        st.just(SAMPLE),
        _edited_sample(),
    ),
)


# The rare-character search takes exactly one of `pinyin`, `codepoint`, or
# `radical` with `strokes`, which OpenAPI cannot say of query parameters:
# generated queries nearly always combine them and are refused. Half the
# cases are well-formed searches instead, so the answers with candidates
# are checked too.
SYLLABLES = ["yan", "yán", "yan2", "zhong", "lv", "lü", "nü3", "a", "xx"]
CODEPOINTS = ["U+2003E", "2003E", "\U0002003e", "U+4E2D", "中", "U+110000", "ZZ"]


@schemathesis.hook("flatmap_query").apply_to(method="GET", path="/api/v1/rare-chars")
def one_selector(context, query):
    selector = st.one_of(
        st.sampled_from(SYLLABLES).map(lambda p: {"pinyin": p}),
        st.sampled_from(CODEPOINTS).map(lambda c: {"codepoint": c}),
        st.tuples(st.integers(0, 215), st.integers(-1, 40)).map(
            lambda t: {"radical": str(t[0]), "strokes": str(t[1])}
        ),
    )
    paging = st.fixed_dictionaries(
        {}, optional={"limit": st.integers(0, 300), "offset": st.integers(0, 100_000)}
    )
    searches = st.tuples(selector, paging).map(lambda t: {**t[0], **t[1]})
    return st.one_of(st.just(query or {}), searches)
