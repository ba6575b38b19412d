#include "server/sse/demo_page.h"

namespace ssecast {

absl::string_view DemoPageHtml() {
  return R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssecast demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 52em; padding: 0 1em; }
  #state { font-weight: 600; }
  .open { color: #137333; } .connecting { color: #b06000; } .closed { color: #a50e0e; }
  table { border-collapse: collapse; width: 100%; margin-top: 1em; }
  th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd; vertical-align: top; }
  td.data { white-space: pre-wrap; font-family: ui-monospace, monospace; }
  code { background: #f1f3f4; padding: .1em .3em; }
</style>
</head>
<body>
<h1>ssecast</h1>
<p>This page holds an <code>EventSource</code> on <code>/events</code>.
State: <span id="state" class="connecting">connecting</span>.
Events sent while you are away are replayed when the page reconnects.</p>
<p>Publish from a shell on the server:
<code>bazel run //client:ssecastctl -- publish --all "hello"</code></p>
<table>
<thead><tr><th>time</th><th>type</th><th>id</th><th>data</th></tr></thead>
<tbody id="events"></tbody>
</table>
<script>
(function () {
  var params = new URLSearchParams(location.search);
  var url = '/events' + (params.toString() ? '?' + params.toString() : '');
  var source = new EventSource(url);
  var state = document.getElementById('state');
  var rows = document.getElementById('events');
  var seenTypes = {};
  function showState() {
    var names = ['connecting', 'open', 'closed'];
    state.textContent = names[source.readyState];
    state.className = names[source.readyState];
  }
  function show(event) {
    var row = document.createElement('tr');
    [new Date().toLocaleTimeString(), event.type, event.lastEventId, event.data]
      .forEach(function (text, i) {
        var cell = document.createElement('td');
        cell.textContent = text;
        if (i === 3) cell.className = 'data';
        row.appendChild(cell);
      });
    rows.insertBefore(row, rows.firstChild);
  }
  // Named events need their own listener; learn the names as they come
  // from the types the page has seen, plus the server's resync notice.
  function listen(type) {
    if (seenTypes[type]) return;
    seenTypes[type] = true;
    source.addEventListener(type, show);
  }
  listen('message');
  listen('ssecast.resync');
  (params.getAll('type') || []).forEach(listen);
  source.onopen = showState;
  source.onerror = showState;
  setInterval(showState, 500);
})();
</script>
</body>
</html>
)html";
}

}  // namespace ssecast
