// End-to-end test of the nginx recipe in deploy/nginx/ssecast.conf, as it
// stands: Debian's nginx (a child process with its own prefix, pid file and
// logs in a temporary directory, a self-signed certificate made here with
// the openssl CLI) terminates TLS and HTTP/2 in front of the real ssecast.
// Headless Chromium opens ssecast's demo page in 10 tabs of one origin; all
// 10 receive an event, and nginx's access log shows that their 10 streams
// came over ONE HTTP/2 connection (one $connection serial number,
// protocol HTTP/2.0). Over HTTP/1.1 the 7th tab would not even load.
// The client-id cookie the browser got is `Secure`: nginx said
// X-Forwarded-Proto: https and ssecast trusts it (--trusted_proxies).
//
// Run by Bazel (//tests/browser:nginx_http2_browser_test). NGINX overrides
// the nginx binary (default /usr/sbin/nginx), CHROMIUM the browser.

'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');
const {chromium} = require('playwright-core');

const {
  CHROMIUM_ARGS,
  DEADLINE_MS,
  freePort,
  sourcePath,
  ssecastctl,
  startSsecast,
  waitFor,
} = require('./harness.js');

const TABS = 10;
const RECIPE = sourcePath('deploy/nginx/ssecast.conf');
const NGINX = process.env.NGINX || '/usr/sbin/nginx';

// A child process with its output kept, and a stop() that signals it and
// resolves with how it ended.
function spawnKept(command, args) {
  const child = childProcess.spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']});
  const kept = {child, stdout: '', stderr: ''};
  child.stdout.on('data', (chunk) => kept.stdout += chunk);
  child.stderr.on('data', (chunk) => kept.stderr += chunk);
  kept.exited = new Promise((resolve) => child.once('exit',
      (code, signal) => resolve({code, signal})));
  kept.stop = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
      const ended = await kept.exited;
      clearTimeout(timer);
      return ended;
    }
    return kept.exited;
  };
  return kept;
}

// A self-signed certificate for 127.0.0.1, made with the openssl CLI.
function makeCertificate(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  childProcess.execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], {stdio: ['ignore', 'ignore', 'pipe']});
  return {cert, key};
}

// The recipe with this test's addresses and paths: each line replaced must
// be found exactly once, so the recipe cannot drift from what is tested.
function adaptRecipe(recipe, replacements) {
  let text = recipe;
  for (const [from, to] of replacements) {
    const count = text.split(from).length - 1;
    assert.equal(count, 1, `expected "${from}" once in ${RECIPE}`);
    text = text.replace(from, to);
  }
  return text;
}

async function startNginx(dir, upstream, certificate) {
  const accessLog = path.join(dir, 'access.log');
  for (let attempt = 1; ; ++attempt) {
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    const site = adaptRecipe(fs.readFileSync(RECIPE, 'utf8'), [
      ['listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`],
      ['listen [::]:443 ssl http2;', ''],
      ['listen 80;', `listen 127.0.0.1:${httpPort};`],
      ['listen [::]:80;', ''],
      ['server 127.0.0.1:8080;', `server ${upstream};`],
      ['/etc/ssl/certs/events.example.com.pem', certificate.cert],
      ['/etc/ssl/private/events.example.com.key', certificate.key],
      ['/var/log/nginx/ssecast.access.log', accessLog],
    ]);
    fs.writeFileSync(path.join(dir, 'ssecast.conf'), site);
    const temp = (name) => {
      fs.mkdirSync(path.join(dir, name), {recursive: true});
      return path.join(dir, name);
    };
    fs.writeFileSync(path.join(dir, 'nginx.conf'), [
      // A worker running as nobody could not read this directory.
      process.getuid() === 0 ? 'user root;' : '',
      'daemon off;',
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'error.log')} info;`,
      'events { worker_connections 256; }',
      'http {',
      // nginx's built-in default is under /var/log; the recipe sets its own.
      `  access_log ${path.join(dir, 'default.access.log')};`,
      `  client_body_temp_path ${temp('client_body')};`,
      `  proxy_temp_path ${temp('proxy')};`,
      `  fastcgi_temp_path ${temp('fastcgi')};`,
      `  uwsgi_temp_path ${temp('uwsgi')};`,
      `  scgi_temp_path ${temp('scgi')};`,
      `  include ${path.join(dir, 'ssecast.conf')};`,
      '}',
      '',
    ].join('\n'));
    const nginx = spawnKept(NGINX, [
      '-p', dir, '-c', path.join(dir, 'nginx.conf'),
      '-e', path.join(dir, 'error.log'),
    ]);
    const errorLog = () => {
      try {
        return fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    // Up once it answers over TLS (through to ssecast's liveness).
    const answered = await waitFor('nginx to answer', async () => {
      if (nginx.child.exitCode !== null) return 'exited';
      const status = await new Promise((resolve) => {
        https.get({host: '127.0.0.1', port: httpsPort, path: '/healthz',
                   rejectUnauthorized: false},
                  (response) => {
                    response.resume();
                    resolve(response.statusCode);
                  })
            .on('error', () => resolve(null));
      });
      return status === 200 && 'up';
    }, async () => `nginx stderr: ${nginx.stderr}; error.log: ${errorLog()}`);
    if (answered === 'up') {
      return {...nginx, origin: `https://127.0.0.1:${httpsPort}`, accessLog,
              errorLog};
    }
    // Another process took the port in between: try other ports.
    if (attempt < 3 && /Address already in use/.test(errorLog() + nginx.stderr)) {
      continue;
    }
    assert.fail(`nginx exited: ${nginx.stderr}; error.log: ${errorLog()}`);
  }
}

test('10 tabs share one HTTP/2 connection through nginx and all get events',
     {timeout: 180000}, async (t) => {
       const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-'));
       const cleanups = [];
       t.after(async () => {
         while (cleanups.length > 0) await cleanups.pop()();
         fs.rmSync(dir, {recursive: true, force: true});
       });

       // nginx is the proxy: ssecast believes its X-Forwarded-Proto.
       const server = await startSsecast(['--trusted_proxies=127.0.0.1']);
       cleanups.push(server.stopAndCheck);
       const nginx = await startNginx(dir, server.http, makeCertificate(dir));
       cleanups.push(async () => {
         // SIGQUIT: nginx's graceful shutdown.
         const ended = await nginx.stop('SIGQUIT');
         assert.deepEqual(ended, {code: 0, signal: null},
                          `nginx must exit 0; error.log:\n${nginx.errorLog()}`);
       });

       const browser = await chromium.launch({
         executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
         args: CHROMIUM_ARGS,
       });
       cleanups.push(() => browser.close());
       // One context: the tabs of one browser profile share its connections.
       const context = await browser.newContext({ignoreHTTPSErrors: true});
       // Each tab opens its own EventSource (the demo page's /ssecast.js
       // would share one stream among the tabs, and this test is about
       // HTTP/2 carrying many streams over one connection).
       const pages = [];
       for (let i = 0; i < TABS; ++i) {
         const page = await context.newPage();
         await page.goto(`${nginx.origin}/healthz`);
         await page.evaluate(() => {
           window.sseState = 'connecting';
           window.sseData = [];
           const source = new EventSource('/events');
           source.onopen = () => { window.sseState = 'open'; };
           source.onerror = () => { window.sseState = 'error'; };
           source.onmessage = (event) => { window.sseData.push(event.data); };
         });
         pages.push(page);
       }
       const states = () =>
           Promise.all(pages.map((page) => page.evaluate(() => window.sseState)));
       const explain = async () => `tab states: ${await states()}; ` +
           `nginx error.log: ${nginx.errorLog()}; ssecast: ${server.stderr()}`;
       await waitFor(`all ${TABS} EventSources to open`, async () =>
           (await states()).every((state) => state === 'open'), explain);
       const clients = await ssecastctl(server, ['clients']);
       assert.equal(clients.trim().split('\n').length - 1, TABS,
                    `one connection per tab on ssecast:\n${clients}`);

       await ssecastctl(server, ['publish', '--all', '--', 'through nginx']);
       const received = () =>
           Promise.all(pages.map((page) => page.evaluate(() => window.sseData)));
       await waitFor(`the event in all ${TABS} tabs`, async () =>
           (await received()).every((data) => data.includes('through nginx')),
           async () => `received: ${JSON.stringify(await received())}; ` +
               await explain());

       // ssecast issued the id cookie as Secure: nginx said the browser
       // came over TLS, and ssecast trusts nginx.
       const cookies = await context.cookies();
       const id = cookies.find((cookie) => cookie.name === 'ssecast_id');
       assert.ok(id, `no ssecast_id cookie: ${JSON.stringify(cookies)}`);
       assert.equal(id.secure, true, JSON.stringify(id));
       assert.equal(id.httpOnly, true);

       // nginx logs a request when it ends: closing the tabs ends the
       // streams.
       await context.close();
       const streamLines = await waitFor(
           `${TABS} /events lines in nginx's access log`, () => {
             const lines = fs.readFileSync(nginx.accessLog, 'utf8')
                               .split('\n')
                               .filter((line) => line.includes('"GET /events'));
             return lines.length >= TABS && lines;
           }, async () => `access log: ${fs.readFileSync(nginx.accessLog, 'utf8')}`);
       const log = fs.readFileSync(nginx.accessLog, 'utf8');
       assert.equal(streamLines.length, TABS, log);
       const connections = new Set();
       for (const line of streamLines) {
         assert.match(line, / protocol=HTTP\/2\.0 h2=h2 /, log);
         connections.add(/ conn=(\d+) /.exec(line)[1]);
       }
       assert.equal(connections.size, 1,
                    `all ${TABS} streams must share one connection:\n${log}`);
       console.log(`nginx: ${TABS} streams over connection ` +
                   `${[...connections][0]}, HTTP/2.0`);
     });
