// genie web UI: the live parts. Every page works without this script;
// with it, the parts marked data-live follow the cluster through blocking
// queries, and job output follows the job as it writes.
"use strict";

(function () {
  // A page sends at most one live request per interval while nothing
  // changes: a query that answers at once waits out the rest of it.
  var minInterval = 2000;

  // Live requests end with the page: a page kept in the back-forward cache
  // must not hold the browser's few connections to the node.
  var controller = new AbortController();
  window.addEventListener("pagehide", function () { controller.abort(); });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      controller = new AbortController();
      start();
    }
  });

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function withParams(url, params) {
    var u = new URL(url, window.location.href);
    Object.keys(params).forEach(function (k) { u.searchParams.set(k, params[k]); });
    return u.toString();
  }

  // live keeps el's content in step with its fragment of the page, asking
  // again each time the server answers (a change, or the wait running out).
  async function live(el) {
    var fragment = el.getAttribute("data-live");
    var index = el.getAttribute("data-index") || "0";
    var poll = parseInt(el.getAttribute("data-poll") || "0", 10) * 1000;
    for (;;) {
      var started = Date.now();
      var params = { fragment: fragment };
      if (!poll) {
        params.index = index;
      }
      try {
        var resp = await fetch(withParams(window.location.href, params), {
          credentials: "same-origin",
          headers: { "Accept": "text/html" },
          signal: controller.signal,
        });
        if (resp.status === 401) {
          window.location.reload();
          return;
        }
        if (resp.ok) {
          var html = await resp.text();
          var next = resp.headers.get("X-Genie-Index");
          if (poll || next !== index) {
            el.innerHTML = html;
            bindConfirms(el);
          }
          if (next) {
            index = next;
          }
        } else {
          await sleep(5000);
        }
      } catch (e) {
        if (controller.signal.aborted) {
          return;
        }
        await sleep(5000);
      }
      var wait = Math.max(poll, minInterval) - (Date.now() - started);
      if (wait > 0) {
        await sleep(wait);
      }
    }
  }

  // follow fills a <pre> with the end of a job's file and, while the job
  // runs, appends what it writes, keeping the last data-limit characters.
  async function follow(pre) {
    var url = pre.getAttribute("data-follow");
    var offset = parseInt(pre.getAttribute("data-offset") || "0", 10);
    var limit = parseInt(pre.getAttribute("data-limit") || "50000", 10);
    var active = pre.getAttribute("data-active") === "true";
    var headers = {};
    if (offset > 0) {
      headers.Range = "bytes=" + offset + "-";
    }
    var text = "";
    function show(more) {
      var atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
      text = (text + more).slice(-limit);
      pre.textContent = text;
      if (atBottom) {
        pre.scrollTop = pre.scrollHeight;
      }
    }
    try {
      var resp = await fetch(active ? withParams(url, { follow: "true" }) : url, {
        credentials: "same-origin",
        headers: headers,
        signal: controller.signal,
      });
      if (resp.status === 404 || resp.status === 416) {
        pre.setAttribute("data-empty", "true");
        return;
      }
      if (!resp.ok) {
        show("(" + resp.status + " " + resp.statusText + ")");
        return;
      }
      var reader = resp.body.getReader();
      var decoder = new TextDecoder();
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) {
          show(decoder.decode());
          break;
        }
        show(decoder.decode(chunk.value, { stream: true }));
      }
      pre.setAttribute("data-ended", "true");
    } catch (e) {
      // The page is going away, or the node: the file link has it all.
    }
  }

  function bindConfirms(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          ev.preventDefault();
        }
      });
    });
  }

  function start() {
    document.querySelectorAll("[data-live]").forEach(function (el) { live(el); });
    document.querySelectorAll("pre[data-follow]").forEach(function (pre) { follow(pre); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindConfirms(document);
    start();
  });
})();
