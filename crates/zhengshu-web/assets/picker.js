// 生僻字输入, the rare-character picker. The page works without this
// script (the link beside the name field opens the picker page); with it,
// the link becomes a button that opens an in-page panel, searches
// /api/v1/rare-chars (a page at a time: "show more" follows the answer's
// Link rel="next"), and inserts the chosen character at the cursor of the
// name field. Every text comes from the page (data-msg-* attributes).
(function () {
  "use strict";

  function setup(link) {
    var fieldId = link.getAttribute("data-picker-for");
    var input = document.getElementById(fieldId);
    var panel = document.getElementById(fieldId + "-picker");
    if (!input || !panel || !window.fetch) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.textContent = link.textContent;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", panel.id);
    link.parentNode.replaceChild(button, link);

    var status = panel.querySelector(".picker-status");
    var list = panel.querySelector(".candidates");
    var msg = function (name) {
      return panel.getAttribute("data-msg-" + name) || "";
    };

    // Where to insert: the field's selection when it last had focus.
    var selection = { start: input.value.length, end: input.value.length };
    var remember = function () {
      if (typeof input.selectionStart === "number") {
        selection = { start: input.selectionStart, end: input.selectionEnd };
      }
    };
    ["keyup", "click", "select", "input", "blur"].forEach(function (e) {
      input.addEventListener(e, remember);
    });

    var mode = function () {
      var checked = panel.querySelector("input[type=radio]:checked");
      return checked ? checked.value : "pinyin";
    };
    var showMode = function () {
      panel.querySelectorAll(".picker-query").forEach(function (q) {
        q.hidden = q.getAttribute("data-mode") !== mode();
      });
    };
    panel.querySelectorAll("input[type=radio]").forEach(function (r) {
      r.addEventListener("change", showMode);
    });

    var open = function () {
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      showMode();
      var first = panel.querySelector(".picker-query:not([hidden]) input, .picker-query:not([hidden]) select");
      if (first) {
        first.focus();
      }
    };
    var close = function () {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      button.focus();
    };
    button.addEventListener("click", function () {
      if (panel.hidden) {
        open();
      } else {
        close();
      }
    });
    panel.querySelector(".picker-close").addEventListener("click", close);

    var insert = function (ch) {
      var v = input.value;
      var start = Math.min(selection.start, v.length);
      var end = Math.min(Math.max(selection.end, start), v.length);
      input.value = v.slice(0, start) + ch + v.slice(end);
      var caret = start + ch.length;
      input.focus();
      input.setSelectionRange(caret, caret);
      selection = { start: caret, end: caret };
      status.textContent = msg("inserted").replace("%c", ch);
    };

    var more = panel.querySelector(".picker-more");
    var next = null;
    var shown = 0;
    // The next page of the answer, from its Link header (RFC 8288).
    var nextOf = function (r) {
      var link = r.headers.get("Link") || "";
      var m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      return m ? m[1] : null;
    };
    var show = function (candidates, total) {
      candidates.forEach(function (c) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "candidate";
        var reading = c.pinyin.length ? c.pinyin.join(" ") : msg("no-reading");
        b.setAttribute("aria-label", c.char + " " + c.codepoint + " " + reading);
        b.setAttribute("data-char", c.char);
        b.setAttribute("data-block", c.block);
        var glyph = document.createElement("span");
        glyph.className = "glyph";
        glyph.lang = "zh";
        glyph.textContent = c.char;
        var cp = document.createElement("span");
        cp.className = "cp";
        cp.textContent = c.codepoint;
        var py = document.createElement("span");
        py.className = "py";
        py.textContent = reading;
        b.appendChild(glyph);
        b.appendChild(cp);
        b.appendChild(py);
        b.addEventListener("click", function () {
          insert(c.char);
        });
        li.appendChild(b);
        list.appendChild(li);
      });
      shown += candidates.length;
      status.textContent = shown
        ? msg("found").replace("%n", String(shown)).replace("%t", String(total))
        : msg("none");
      more.hidden = !next;
    };

    var fetchPage = function (url) {
      fetch(url, {
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          return r.json().then(function (body) {
            return {
              ok: r.ok,
              body: body,
              total: Number(r.headers.get("X-Total-Count") || 0),
              next: nextOf(r),
            };
          });
        })
        .then(function (res) {
          if (res.ok) {
            next = res.next;
            show(res.body, res.total || res.body.length);
          } else {
            next = null;
            more.hidden = true;
            var e = res.body && res.body.error;
            status.textContent =
              (e && e.fields && e.fields.length && e.fields[0].message) ||
              (e && e.message) ||
              msg("failed");
          }
        })
        .catch(function () {
          status.textContent = msg("failed");
        });
    };
    more.addEventListener("click", function () {
      if (next) {
        fetchPage(next);
      }
    });

    var search = function () {
      var params = new URLSearchParams();
      var value = function (suffix) {
        return document.getElementById(fieldId + "-" + suffix).value;
      };
      if (mode() === "pinyin") {
        params.set("pinyin", value("pinyin"));
      } else if (mode() === "codepoint") {
        params.set("codepoint", value("codepoint"));
      } else {
        params.set("radical", value("radical"));
        params.set("strokes", value("strokes"));
      }
      list.textContent = "";
      shown = 0;
      next = null;
      more.hidden = true;
      fetchPage("/api/v1/rare-chars?" + params.toString());
    };
    panel.querySelector(".picker-search").addEventListener("click", search);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        e.preventDefault();
        close();
      } else if (
        e.key === "Enter" &&
        (e.target.tagName === "SELECT" ||
          (e.target.tagName === "INPUT" && e.target.type !== "radio"))
      ) {
        // Enter searches; it must not submit the surrounding form.
        e.preventDefault();
        search();
      }
    });
  }

  document.querySelectorAll("a.picker-link[data-picker-for]").forEach(setup);
})();
