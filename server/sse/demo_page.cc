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
<p>This page reads <code>/events</code> with the browser client,
<code>/ssecast.js</code>; all tabs of this page share one stream.
State: <span id="state" class="connecting">connecting</span>.
Events sent while you are away are replayed when the page reconnects.</p>
<p>Publish from a shell on the server, e.g.
<code>bazel run //client:ssecastctl -- publish --all --type=greeting "hello"</code></p>
<table>
<thead><tr><th>time</th><th>type</th><th>id</th><th>data</th></tr></thead>
<tbody id="events"></tbody>
</table>
<script src="/ssecast.js"></script>
<script>
(function () {
  // Query parameters of this page (e.g. ?group=news) go to /events.
  var query = location.search;
  var source = ssecast.connect('/events' + query);
  var state = document.getElementById('state');
  var rows = document.getElementById('events');
  function show(type, id, data) {
    var row = document.createElement('tr');
    [new Date().toLocaleTimeString(), type, id, data].forEach(function (text, i) {
      var cell = document.createElement('td');
      cell.textContent = text;
      if (i === 3) cell.className = 'data';
      row.appendChild(cell);
    });
    rows.insertBefore(row, rows.firstChild);
  }
  // Every type, named or not.
  source.on('*', function (event) { show(event.type, event.id, event.data); });
  source.onResync(function (notice) {
    show('ssecast.resync', notice.id, 'missed events could not be replayed (' +
         notice.reason + ')');
  });
  source.onStateChange(function (name, detail) {
    state.textContent = name === 'stopped' ? 'stopped by the server' : name;
    state.className = name === 'open' ? 'open' :
        name === 'connecting' ? 'connecting' : 'closed';
    if (detail && detail.message) state.title = detail.message;
  });
})();
</script>
</body>
</html>
)html";
}

}  // namespace ssecast
