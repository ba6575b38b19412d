// End-to-end tests of ssecast against a real browser's EventSource.
//
// Each case starts the real ssecast binary and a second HTTP server that
// serves a tiny test page from another origin; headless Chromium (driven by
// playwright-core) opens the page, whose EventSource connects cross-origin
// with credentials and records everything it sees into `window.log`.
// ssecastctl steers the server the way a backend would. Chromium's own
// network events, seen through playwright, tell how many requests reached
// /events and what they carried. One more case opens ssecast's own demo page.
//
// Run by Bazel (//tests/browser:eventsource_browser_test), which provides
// the binaries in its runfiles; outside Bazel the binaries are taken from
// bazel-bin. CHROMIUM overrides the browser (default /usr/bin/chromium).

'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const test = require('node:test');
const {chromium} = require('playwright-core');
const {
  CHROMIUM_ARGS,
  QUIET_WINDOW_MS,
  RETRY_MS,
  cleanupStack,
  connectedClientIds,
  publish,
  ssecastctl,
  startSsecast,
  waitFor,
} = require('./harness.js');

// The page under test. It takes the /events URL from its query string and
// records every event, open and error, with the readyState right after it.
const TEST_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>ssecast EventSource test</title>
<script>
'use strict';
window.log = [];
const url = new URLSearchParams(location.search).get('events');
const source = new EventSource(url, {withCredentials: true});
window.source = source;
function record(event) {
  window.log.push({
    type: event.type,
    data: event.data === undefined ? null : event.data,
    lastEventId: event.lastEventId === undefined ? null : event.lastEventId,
    readyState: source.readyState,
  });
}
for (const type of ['open', 'error', 'message', 'greeting', 'count']) {
  source.addEventListener(type, record);
}
</script>
`;

// Serves TEST_PAGE at / on 127.0.0.1, port picked by the kernel.
async function startPageServer() {
  const server = http.createServer((request, response) => {
    if (new URL(request.url, 'http://x').pathname !== '/') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {'Content-Type': 'text/html; charset=utf-8'});
    response.end(TEST_PAGE);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}


// One test's world: ssecast allowing the page's origin, the page server,
// and a fresh browser context (so no cookie leaks between cases) whose
// page has opened the EventSource and seen it open.
async function openWorld(t, browser) {
  const cleanups = cleanupStack(t);
  const pageServer = await startPageServer();
  cleanups.push(() => pageServer.close());
  const server = await startSsecast(
      [`--retry=${RETRY_MS}ms`, `--allow_origin=${pageServer.origin}`]);
  cleanups.push(() => server.stop());
  const context = await browser.newContext();
  cleanups.push(() => context.close());
  const page = await context.newPage();

  const eventsUrl = `http://${server.http}/events`;
  // Every request Chromium made to /events, in order, each with the status
  // of its answer (null until it arrives) or the reason it failed.
  const requests = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(eventsUrl)) return;
    const entry = {
      request,
      headers: null,
      status: null,
      responseHeaders: null,
      failure: null
    };
    requests.push(entry);
    request.allHeaders().then(
        (headers) => entry.headers = headers,
        () => entry.headers = request.headers());
  });
  page.on('response', async (response) => {
    const entry = requests.find((e) => e.request === response.request());
    if (!entry) return;
    entry.status = response.status();
    entry.responseHeaders =
        await response.allHeaders().catch(() => response.headers());
  });
  page.on('requestfailed', (request) => {
    const entry = requests.find((e) => e.request === request);
    if (entry) entry.failure = request.failure()?.errorText ?? 'failed';
  });

  await page.goto(
      `${pageServer.origin}/?events=` + encodeURIComponent(eventsUrl));
  const log = () => page.evaluate(() => window.log);
  // What a failure message shows: the page's log, and the headers of each
  // /events request and answer that these tests are about.
  const pick = (headers, names) => headers &&
      Object.fromEntries(names.filter((name) => name in headers)
                             .map((name) => [name, headers[name]]));
  const explain = async () =>
      `page log: ${JSON.stringify(await log())}; /events requests: ` +
      JSON.stringify(requests.map((e) => ({
        headers: pick(e.headers, ['origin', 'cookie', 'last-event-id']),
        status: e.status,
        responseHeaders: pick(e.responseHeaders, [
          'access-control-allow-origin', 'access-control-allow-credentials',
          'set-cookie',
        ]),
        failure: e.failure,
      }))) +
      `; ssecast stderr: ${server.stderr()}`;
  const world =
      {server, page, requests, log, explain, origin: pageServer.origin};
  await waitFor('the EventSource to open', async () => {
    const entries = await log();
    // CLOSED before ever opening: it will never open.
    if (entries.some((e) => e.readyState === 2)) {
      assert.fail(
          `the EventSource closed without opening ` +
          `(refused, or failed Chromium's CORS ` +
          `check); ${await explain()}`);
    }
    return entries.some((e) => e.type === 'open');
  }, explain);
  return world;
}

// The events (not open/error) the page has received, in order.
async function receivedEvents(world) {
  return (await world.log())
      .filter((e) => e.type !== 'open' && e.type !== 'error');
}

// The id of the one client connected: the test page.
async function pageClientId(world) {
  const ids =
      await waitFor('the page to be the one connected client', async () => {
        const ids = await connectedClientIds(world.server);
        return ids.length === 1 && ids;
      }, world.explain);
  return ids[0];
}

test.describe('EventSource in Chromium against ssecast', () => {
  let browser;
  test.before(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
  });
  test.after(() => browser?.close());

  test(
      'events arrive with their types and ids', {timeout: 120000},
      async (t) => {
        const world = await openWorld(t, browser);
        await publish(
            world.server, {type: 'greeting', id: 'g1', data: 'hello'});
        await publish(world.server, {data: 'plain'});

        const events = await waitFor('two events', async () => {
          const events = await receivedEvents(world);
          return events.length >= 2 && events;
        }, world.explain);
        assert.equal(events.length, 2, await world.explain());
        assert.equal(events[0].type, 'greeting');
        assert.equal(events[0].data, 'hello');
        assert.match(events[0].lastEventId, /^\d+-\d+:g1$/);
        assert.equal(events[1].type, 'message');
        assert.equal(events[1].data, 'plain');
        assert.match(events[1].lastEventId, /^\d+-\d+$/);
      });

  test(
      'a disconnected client gets 204, closes and stays away',
      {timeout: 120000}, async (t) => {
        const world = await openWorld(t, browser);
        const clientId = await pageClientId(world);
        await ssecastctl(world.server, ['disconnect', clientId]);

        await waitFor(
            'the EventSource to close (readyState 2)',
            () => world.page.evaluate(() => window.source.readyState === 2),
            world.explain);
        // Quick to fail: the 204 (or a CORS failure) settles the request
        // that closed the EventSource.
        await waitFor('the answer to the last /events request', () => {
          const last = world.requests[world.requests.length - 1];
          return last.headers !== null &&
              (last.responseHeaders !== null || last.failure !== null);
        }, world.explain);
        assert.equal(
            world.requests.length, 2,
            `expected the stream and one refused reconnect; ` +
                await world.explain());
        const [stream, refused] = world.requests;
        assert.equal(stream.status, 200, await world.explain());
        assert.equal(
            refused.status, 204,
            `the reconnect must be refused with a 204 that passes ` +
                `Chromium's CORS check; ${await world.explain()}`);
        assert.equal(
            refused.failure, null,
            `the 204 must pass Chromium's CORS check; ` +
                await world.explain());
        assert.equal(
            refused.responseHeaders['access-control-allow-origin'],
            world.origin);
        assert.equal(
            refused.responseHeaders['access-control-allow-credentials'],
            'true');
        // The reconnect is recognised by the cookie ssecast issued.
        assert.match(
            refused.headers.cookie ?? '',
            new RegExp(`(^|; )ssecast_id=${clientId}(;|$)`));

        // Deliberately idle for several retry intervals: nothing may follow.
        await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
        assert.equal(
            world.requests.length, 2,
            `no request may follow the 204; ` + await world.explain());
        assert.equal(
            await world.page.evaluate(() => window.source.readyState), 2);
        const log = await world.log();
        assert.deepEqual(
            log.map((e) => [e.type, e.readyState]),
            [['open', 1], ['error', 0], ['error', 2]],
            `open, end of stream, 204; ${JSON.stringify(log)}`);
        assert.deepEqual(await connectedClientIds(world.server), []);
      });

  test(
      'a dropped stream reconnects with Last-Event-ID and misses nothing',
      {timeout: 120000}, async (t) => {
        const world = await openWorld(t, browser);
        const publishCount = (n) =>
            publish(world.server, {type: 'count', id: `${n}`, data: `${n}`});
        // Waits for the event whose data is `data`, and returns all events.
        const waitForEvent = (data) =>
            waitFor(`the event "${data}"`, async () => {
              const events = await receivedEvents(world);
              return events.some((e) => e.data === data) && events;
            }, world.explain);

        const publishRange = async (from, to) => {
          for (let n = from; n <= to; ++n) await publishCount(n);
        };
        const opens = async () =>
            (await world.log()).filter((e) => e.type === 'open').length;

        await publishRange(1, 5);
        const beforeDrop = await waitForEvent('5');
        const clientId = await pageClientId(world);
        await ssecastctl(
            world.server, ['disconnect', '--allow_reconnect', clientId]);
        // Three windows, each a place where events can be lost or doubled:
        // while the browser waits out `retry:`, while ssecast handles the
        // reconnect (replay meets live), and on the new stream.
        await publishRange(6, 10);
        await waitFor(
            'the reconnect request', () => world.requests.length >= 2,
            world.explain);
        await publishRange(11, 15);
        await waitFor(
            'the EventSource to reopen', async () => await opens() >= 2,
            world.explain);
        await publishRange(16, 20);
        await waitForEvent('20');
        // Anything replayed twice would come before this last event.
        await publish(world.server, {type: 'count', id: 'end', data: 'end'});
        const events = await waitForEvent('end');

        const expected = [...Array(20).keys()].map((i) => `${i + 1}`);
        assert.deepEqual(
            events.map((e) => e.data), [...expected, 'end'],
            `expected 1..20 then end, got ` +
                `${events.map((e) => e.data).join(',')}; ` +
                await world.explain());
        for (const event of events) {
          assert.equal(event.type, 'count');
          assert.ok(
              event.lastEventId.endsWith(`:${event.data}`),
              JSON.stringify(event));
        }
        assert.equal(await opens(), 2, await world.explain());

        assert.equal(world.requests.length, 2, await world.explain());
        const [first, reconnect] = world.requests;
        assert.ok(first.headers && reconnect.headers, await world.explain());
        assert.equal(first.headers['last-event-id'], undefined);
        assert.equal(reconnect.status, 200, await world.explain());
        assert.equal(
            reconnect.headers['last-event-id'], beforeDrop.at(-1).lastEventId,
            await world.explain());
      });

  test(
      'a stream dropped before its first event resumes from where it started',
      {timeout: 120000}, async (t) => {
        const world = await openWorld(t, browser);
        await waitFor(
            'the EventSource to open',
            async () => (await world.log()).some((e) => e.type === 'open'),
            world.explain);
        const clientId = await pageClientId(world);
        await ssecastctl(
            world.server, ['disconnect', '--allow_reconnect', clientId]);
        // Published while the browser waits out `retry:`, before any event
        // reached it: only the id line the stream started with lets the
        // reconnect replay them.
        for (let n = 1; n <= 5; ++n) {
          await publish(world.server, {type: 'count', id: `${n}`, data: `${n}`});
        }
        const events = await waitFor('the event "5"', async () => {
          const events = await receivedEvents(world);
          return events.some((e) => e.data === '5') && events;
        }, world.explain);
        assert.deepEqual(
            events.map((e) => e.data), ['1', '2', '3', '4', '5'],
            await world.explain());
        assert.equal(world.requests.length, 2, await world.explain());
        assert.match(
            world.requests[1].headers?.['last-event-id'] ?? '', /^\d+-\d+$/,
            await world.explain());
      });

  test(
      'the demo page at / shows published events of every type as text', {timeout: 120000},
      async (t) => {
        const cleanups = cleanupStack(t);
        // Same origin as /events: no --allow_origin needed.
        const server = await startSsecast([]);
        cleanups.push(() => server.stop());
        const context = await browser.newContext();
        cleanups.push(() => context.close());
        const page = await context.newPage();
        // No hint about types: the page shows every type it receives.
        await page.goto(`http://${server.http}/`);

        const state = () =>
            page.evaluate(() => document.getElementById('state').textContent);
        const rows = () => page.evaluate(
            () => [...document.querySelectorAll('#events tr')].map(
                (row) => [...row.cells].map((cell) => cell.textContent)));
        const explain = async () => `state: ${await state()}; rows: ` +
            `${JSON.stringify(await rows())}; ssecast stderr: ` +
            server.stderr();
        await waitFor(
            'the demo page to show "open"',
            async () => await state() === 'open', explain);

        // Markup in data must be shown, never interpreted.
        const data = '<b>bold</b> & "quoted"';
        await publish(server, {type: 'greeting', id: 'g1', data});
        const [row] = await waitFor('a row for the event', async () => {
          const shown = await rows();
          return shown.length > 0 && shown;
        }, explain);
        // Columns: time, type, id, data.
        assert.equal(row[1], 'greeting');
        assert.match(row[2], /^\d+-\d+:g1$/);
        assert.equal(row[3], data);
        assert.equal(
            await page.evaluate(
                () => document.querySelector('#events b') !== null),
            false, 'the data\'s <b> must not become an element');
      });
});
