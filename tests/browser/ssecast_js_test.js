// End-to-end tests of the browser client, /ssecast.js, in headless Chromium.
//
// Each case starts the real ssecast binary and a page server of another
// origin (plain HTTP/1.1 on 127.0.0.1) whose page loads /ssecast.js from
// ssecast and connects with it, recording every event and state change.
// All tabs of a case are pages of one browser context, i.e. one browser
// profile: they must share one stream. ssecastctl steers the server the
// way a backend would and tells how many streams the server holds.
//
// Run by Bazel (//tests/browser:ssecast_js_browser_test).

'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const test = require('node:test');
const {chromium} = require('playwright-core');
const {
  CHROMIUM_ARGS,
  QUIET_WINDOW_MS,
  RETRY_MS,
  cleanupStack,
  connectedClientIds,
  connectionCount,
  publish,
  ssecastctl,
  startSsecast,
  waitFor,
} = require('./harness.js');

// The page under test: ?events=<url>, ?share=0 for a stream of its own,
// and with ?user=<id> a token function that asks this page's server for a
// token. window.events, window.states and window.resyncs record what the
// client reported; window.s is the subscription.
function testPage(ssecastOrigin) {
  return `<!doctype html>
<meta charset="utf-8">
<title>ssecast.js test</title>
<script src="${ssecastOrigin}/ssecast.js"></script>
<script>
'use strict';
const params = new URLSearchParams(location.search);
window.events = [];
window.states = [];
window.resyncs = [];
const options = {};
if (params.get('user')) {
  options.token = async () => {
    const response = await fetch('/token?user=' + params.get('user'));
    if (!response.ok) throw new Error('token: ' + response.status);
    return response.text();
  };
}
if (params.get('share') === '0') options.share = false;
window.s = ssecast.connect(params.get('events'), options);
s.on('*', (e) => events.push({type: e.type, data: e.data, id: e.id}));
s.onResync((notice) => resyncs.push(notice));
s.onStateChange((state, detail) => states.push({state, detail, role: s.role}));
</script>
`;
}

function base64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

// An HS256 JWT for `sub` that expires `lifetimeSeconds` from now.
function hs256Token(secret, sub, lifetimeSeconds) {
  const header = base64url(JSON.stringify({alg: 'HS256', typ: 'JWT'}));
  const exp = Math.floor(Date.now() / 1000) + lifetimeSeconds;
  const payload = base64url(JSON.stringify({sub, exp}));
  const signature = crypto.createHmac('sha256', secret)
                        .update(`${header}.${payload}`)
                        .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

// Serves the test page at / and, when `jwt` is given ({secret, lifetime}),
// tokens at /token; `tokens` lists the tokens handed out.
async function startPageServer(jwt) {
  const state = {ssecastOrigin: null, tokens: []};
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://x');
    if (url.pathname === '/') {
      response.writeHead(200, {'Content-Type': 'text/html; charset=utf-8'});
      response.end(testPage(state.ssecastOrigin));
    } else if (url.pathname === '/token' && jwt) {
      const token =
          hs256Token(jwt.secret, url.searchParams.get('user'), jwt.lifetime);
      state.tokens.push(token);
      response.writeHead(200, {'Content-Type': 'text/plain'});
      response.end(token);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

// One case's world: ssecast allowing the page server's origin, and a fresh
// browser context (one profile) in which tabs are opened with openTab().
// `requests` lists every GET of /events that any tab made, with its headers
// and status.
async function openWorld(t, browser, {flags = [], jwt = null} = {}) {
  const cleanups = cleanupStack(t);
  const pageServer = await startPageServer(jwt);
  cleanups.push(() => pageServer.close());
  const server = await startSsecast([
    `--retry=${RETRY_MS}ms`,
    `--allow_origin=${pageServer.origin}`,
    ...flags,
  ]);
  cleanups.push(() => server.stopAndCheck());
  pageServer.state.ssecastOrigin = `http://${server.http}`;
  const context = await browser.newContext();
  cleanups.push(() => context.close());

  const eventsUrl = `http://${server.http}/events`;
  const requests = [];
  context.on('request', (request) => {
    if (!request.url().startsWith(eventsUrl) || request.method() !== 'GET') {
      return;
    }
    const entry = {request, headers: null, status: null};
    requests.push(entry);
    request.allHeaders().then(
        (headers) => entry.headers = headers,
        () => entry.headers = request.headers());
  });
  context.on('response', (response) => {
    const entry = requests.find((e) => e.request === response.request());
    if (entry) entry.status = response.status();
  });

  const tabs = [];
  const world = {server, pageServer, context, tabs, requests, eventsUrl};
  world.openTab = async (query = '') => {
    const page = await context.newPage();
    await page.goto(
        `${pageServer.origin}/?events=${encodeURIComponent(eventsUrl)}` +
        query);
    tabs.push(page);
    return page;
  };
  world.explain = async () => {
    const shown = [];
    for (const [i, tab] of tabs.entries()) {
      if (tab.isClosed()) {
        shown.push(`tab ${i}: closed`);
        continue;
      }
      const seen = await tab.evaluate(() => ({
        role: s.role,
        state: s.state,
        states: states.map((e) => e.state + (e.detail ? JSON.stringify(e.detail) : '')),
        data: events.map((e) => e.data).join(','),
      }));
      shown.push(`tab ${i}: ${JSON.stringify(seen)}`);
    }
    return `${shown.join('; ')}; /events GETs: ` +
        JSON.stringify(requests.map((e) => ({
          status: e.status,
          lastEventId: e.headers && e.headers['last-event-id'],
        }))) +
        `; ssecast stderr: ${server.stderr()}`;
  };
  return world;
}

const stateOf = (tab) => tab.evaluate(() => s.state);
const dataOf = (tab) => tab.evaluate(() => events.map((e) => e.data));

async function waitForOpen(world, tabs) {
  for (const tab of tabs) {
    await waitFor(
        'every tab to report "open"', async () => await stateOf(tab) === 'open',
        world.explain);
  }
}

// Waits until every tab in `tabs` has received the event whose data is
// `data`.
async function waitForEverywhere(world, tabs, data) {
  for (const tab of tabs) {
    await waitFor(
        `the event "${data}" in every tab`,
        async () => (await dataOf(tab)).includes(data), world.explain);
  }
}

async function leaderOf(world, tabs) {
  return waitFor('one leader tab', async () => {
    const leaders = [];
    for (const tab of tabs) {
      if (await tab.evaluate(() => s.role) === 'leader') leaders.push(tab);
    }
    return leaders.length === 1 && leaders[0];
  }, world.explain);
}

const range = (from, to) =>
    [...Array(to - from + 1).keys()].map((i) => `${from + i}`);

test.describe('ssecast.js in Chromium', () => {
  let browser;
  test.before(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
  });
  test.after(() => browser?.close());

  test(
      '/ssecast.js is served as JavaScript with a validator',
      {timeout: 60000}, async (t) => {
        const cleanups = cleanupStack(t);
        const server = await startSsecast([]);
        cleanups.push(() => server.stopAndCheck());
        const response = await fetch(`http://${server.http}/ssecast.js`);
        assert.equal(response.status, 200);
        assert.equal(
            response.headers.get('content-type'),
            'text/javascript; charset=utf-8');
        assert.equal(response.headers.get('cache-control'), 'no-cache');
        const etag = response.headers.get('etag');
        assert.match(etag, /^"[0-9a-f]+"$/);
        assert.match(await response.text(), /ssecast\.connect|root\.ssecast/);
        const again = await fetch(
            `http://${server.http}/ssecast.js`,
            {headers: {'If-None-Match': etag}});
        assert.equal(again.status, 304);
      });

  test(
      '10 tabs share one stream and all receive every event',
      {timeout: 240000}, async (t) => {
        const world = await openWorld(t, browser);
        for (let i = 0; i < 10; ++i) await world.openTab();
        await waitForOpen(world, world.tabs);
        await leaderOf(world, world.tabs);
        assert.equal(await connectionCount(world.server), 1);

        for (const n of range(1, 20)) {
          await publish(world.server, {
            type: Number(n) % 2 ? 'greeting' : undefined,
            id: `e${n}`,
            data: n,
          });
        }
        await waitForEverywhere(world, world.tabs, '20');
        for (const [i, tab] of world.tabs.entries()) {
          const events = await tab.evaluate(() => events);
          assert.deepEqual(
              events.map((e) => e.data), range(1, 20),
              `tab ${i}; ${await world.explain()}`);
          for (const event of events) {
            assert.equal(
                event.type, Number(event.data) % 2 ? 'greeting' : 'message');
            assert.match(event.id, new RegExp(`^\\d+-\\d+:e${event.data}$`));
          }
        }
        assert.equal(
            await connectionCount(world.server), 1,
            `the server must hold one stream for the profile; ` +
                await ssecastctl(world.server, ['clients']));
        assert.equal(world.requests.length, 1, await world.explain());
      });

  test(
      'closing the leader tab mid-stream loses and doubles nothing',
      {timeout: 240000}, async (t) => {
        const world = await openWorld(t, browser);
        for (let i = 0; i < 5; ++i) await world.openTab();
        await waitForOpen(world, world.tabs);
        for (const n of range(1, 10)) {
          await publish(world.server, {type: 'count', id: n, data: n});
        }
        await waitForEverywhere(world, world.tabs, '10');

        const leader = await leaderOf(world, world.tabs);
        const others = world.tabs.filter((tab) => tab !== leader);
        // Events go on while the leader closes and another tab takes over:
        // each window (relay cut, new stream, replay meets live) could lose
        // or double some.
        const publishing = (async () => {
          for (const n of range(11, 40)) {
            await publish(world.server, {type: 'count', id: n, data: n});
          }
        })();
        await waitForEverywhere(world, others, '12');
        await leader.close({runBeforeUnload: false});
        await publishing;
        await publish(world.server, {type: 'count', id: 'end', data: 'end'});
        await waitForEverywhere(world, others, 'end');

        for (const [i, tab] of others.entries()) {
          assert.deepEqual(
              await dataOf(tab), [...range(1, 40), 'end'],
              `tab ${i}; ${await world.explain()}`);
        }
        await leaderOf(world, others);
        await waitFor(
            'the server to hold one stream again',
            async () => await connectionCount(world.server) === 1,
            world.explain);
        // The new leader resumed with the last id it had seen.
        assert.equal(world.requests.length, 2, await world.explain());
        assert.match(
            world.requests[1].headers['last-event-id'] ?? '',
            /^\d+-\d+:\d+$/, await world.explain());
      });

  test(
      'a Disconnect stops every tab and none reconnects', {timeout: 240000},
      async (t) => {
        const world = await openWorld(t, browser);
        for (let i = 0; i < 5; ++i) await world.openTab();
        await waitForOpen(world, world.tabs);
        const [clientId] = await connectedClientIds(world.server);
        await ssecastctl(world.server, ['disconnect', clientId]);

        for (const tab of world.tabs) {
          await waitFor(
              'every tab to report "stopped"',
              async () => await stateOf(tab) === 'stopped', world.explain);
        }
        // Deliberately idle for several retry intervals: nothing may follow.
        await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
        // The stream, then the one reconnect that was answered 204.
        assert.deepEqual(
            world.requests.map((e) => e.status), [200, 204],
            await world.explain());
        for (const tab of world.tabs) {
          const states = await tab.evaluate(() => states.map((e) => e.state));
          assert.equal(states.at(-1), 'stopped', await world.explain());
          assert.equal(await stateOf(tab), 'stopped');
        }
        assert.equal(await connectionCount(world.server), 0);

        // A tab opened later learns it from the stopped leader and stays
        // away too.
        const late = await world.openTab();
        await waitFor(
            'the late tab to report "stopped"',
            async () => await stateOf(late) === 'stopped', world.explain);
        assert.equal(world.requests.length, 2, await world.explain());
      });

  test(
      'share:false reads a stream per tab; a refused request fails with ' +
          'the reason',
      {timeout: 240000}, async (t) => {
        const world = await openWorld(t, browser);
        const alone = [await world.openTab('&share=0'),
                       await world.openTab('&share=0')];
        await waitForOpen(world, alone);
        for (const tab of alone) {
          assert.equal(await tab.evaluate(() => s.role), 'alone');
        }
        await waitFor(
            'two streams', async () => await connectionCount(world.server) === 2,
            world.explain);
        await publish(world.server, {type: 'greeting', data: 'hi'});
        await waitForEverywhere(world, alone, 'hi');

        // Joining a group is refused (--group_join=nobody): 403, for good.
        const refused = await world.context.newPage();
        await refused.goto(
            `${world.pageServer.origin}/?events=` +
            encodeURIComponent(`${world.eventsUrl}?group=news`));
        await waitFor(
            'the refused tab to report "failed"',
            async () => await stateOf(refused) === 'failed', world.explain);
        const detail = await refused.evaluate(() => states.at(-1).detail);
        assert.equal(detail.status, 403);
        assert.match(detail.message, /^ssecast: .*group/);
        await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
        assert.equal(
            world.requests.filter((e) => e.request.url().includes('group='))
                .length,
            1, 'a failed subscription does not retry');
      });

  test(
      'a token that expires every 5 s is renewed with no gap',
      {timeout: 240000}, async (t) => {
        const secret = crypto.randomBytes(32).toString('hex');
        const secretFile = require('node:path').join(
            process.env.TEST_TMPDIR || require('node:os').tmpdir(),
            `jwt-secret-${process.pid}`);
        require('node:fs').writeFileSync(secretFile, secret);
        const world = await openWorld(t, browser, {
          flags: ['--client_id=jwt', `--jwt_secret_file=${secretFile}`],
          jwt: {secret, lifetime: 5},
        });
        const tabs = [await world.openTab('&user=u42'),
                      await world.openTab('&user=u42')];
        await waitForOpen(world, tabs);
        assert.deepEqual(await connectedClientIds(world.server), ['u42']);

        // Events all along, until three renewals have happened while they
        // flowed, and a few more on the last stream.
        let n = 0;
        const resumingGets = () => world.requests.filter(
            (e) => e.status === 200 && e.headers?.['last-event-id']);
        while (resumingGets().length < 3 || n < 5) {
          ++n;
          await publish(world.server, {id: `${n}`, data: `${n}`});
          await new Promise((resolve) => setTimeout(resolve, 200));
          if (n > 400) assert.fail(`no renewals; ${await world.explain()}`);
        }
        for (let i = 0; i < 5; ++i) {
          ++n;
          await publish(world.server, {id: `${n}`, data: `${n}`});
        }
        await waitForEverywhere(world, tabs, `${n}`);
        for (const tab of tabs) {
          assert.deepEqual(
              await dataOf(tab), range(1, n), await world.explain());
          // Renewed ahead of exp: the stream never dropped to reconnecting.
          const states = await tab.evaluate(() => states.map((e) => e.state));
          assert.ok(states.includes('open'), await world.explain());
          assert.deepEqual(
              states.slice(states.indexOf('open')).filter((s) => s !== 'open'),
              [], await world.explain());
        }
        // Each renewal was a new GET with a new token, resuming from the
        // last event seen (or, before the first, the position the stream
        // started at).
        // One snapshot: a renewal under way (its status still null) may
        // finish while the assertions below await the explanation.
        const finished = world.requests.filter((e) => e.status !== null);
        const gets = finished.filter((e) => e.status === 200);
        assert.ok(gets.length >= 4, await world.explain());
        assert.deepEqual(
            finished.map((e) => e.status), gets.map(() => 200),
            `only renewals, never a refused token; ${await world.explain()}`);
        const authorizations = new Set(gets.map((e) => e.headers.authorization));
        assert.equal(authorizations.size, gets.length, await world.explain());
        assert.equal(gets[0].headers['last-event-id'], undefined);
        for (const get of gets.slice(1)) {
          assert.match(
              get.headers['last-event-id'] ?? '', /^\d+-\d+(:\d+)?$/,
              await world.explain());
        }
        assert.ok(world.pageServer.state.tokens.length >= gets.length);
      });
  // Holds every later GET of the stream until release() is called, so that
  // events are published while a tab is between streams.
  async function holdNextStreams(world) {
    let release;
    const released = new Promise((resolve) => release = resolve);
    let held = 0;
    await world.context.route(`${world.eventsUrl}*`, async (route) => {
      ++held;
      await released;
      await route.continue();
    });
    return {release, held: () => held};
  }

  test(
      'a takeover before the first event resumes from the announced start',
      {timeout: 240000}, async (t) => {
        const world = await openWorld(t, browser);
        for (let i = 0; i < 3; ++i) await world.openTab();
        await waitForOpen(world, world.tabs);
        const leader = await leaderOf(world, world.tabs);
        const others = world.tabs.filter((tab) => tab !== leader);
        // No event yet: the tabs know the position the stream started at.
        for (const tab of others) {
          await waitFor(
              'every tab to know the start position',
              async () => /^\d+-\d+$/.test(
                  await tab.evaluate(() => s.lastEventId) ?? ''),
              world.explain);
        }
        const gate = await holdNextStreams(world);
        await leader.close({runBeforeUnload: false});
        await waitFor(
            'the new leader to ask for the stream', async () => gate.held() > 0,
            world.explain);
        // Published while no tab holds a stream.
        for (const n of range(1, 10)) {
          await publish(world.server, {id: n, data: n});
        }
        gate.release();
        await publish(world.server, {id: 'end', data: 'end'});
        await waitForEverywhere(world, others, 'end');
        for (const [i, tab] of others.entries()) {
          assert.deepEqual(
              await dataOf(tab), [...range(1, 10), 'end'],
              `tab ${i}; ${await world.explain()}`);
        }
        assert.match(
            world.requests.at(-1).headers?.['last-event-id'] ?? '',
            /^\d+-\d+$/, await world.explain());
      });

  test(
      'a token renewal before the first event loses nothing',
      {timeout: 240000}, async (t) => {
        const secret = crypto.randomBytes(32).toString('hex');
        const secretFile = require('node:path').join(
            process.env.TEST_TMPDIR || require('node:os').tmpdir(),
            `jwt-secret-early-${process.pid}`);
        require('node:fs').writeFileSync(secretFile, secret);
        const world = await openWorld(t, browser, {
          flags: ['--client_id=jwt', `--jwt_secret_file=${secretFile}`],
          jwt: {secret, lifetime: 5},
        });
        const tab = await world.openTab('&user=u7');
        await waitForOpen(world, [tab]);
        const gate = await holdNextStreams(world);
        await waitFor(
            'the renewal to ask for a stream', async () => gate.held() > 0,
            world.explain);
        // The old stream is gone once the new token is in hand; these are
        // published while the renewed GET is held.
        for (const n of range(1, 10)) {
          await publish(world.server, {id: n, data: n});
        }
        gate.release();
        await publish(world.server, {id: 'end', data: 'end'});
        await waitForEverywhere(world, [tab], 'end');
        assert.deepEqual(
            await dataOf(tab), [...range(1, 10), 'end'], await world.explain());
        // The renewal held above, the second GET, resumed from the position
        // the stream started at. (On a slow machine the 5 s token may
        // expire again after the events: that later renewal resumes after
        // the last event seen, and is not the one this test is about.)
        const renewal = world.requests[1];
        assert.match(
            renewal?.headers?.['last-event-id'] ?? '', /^\d+-\d+$/,
            await world.explain());
      });
});
