#!/usr/bin/env node
// A minimal backend that binds ssecast's client id to its own user id (the
// identity recipe of the README, "In the browser"). It has its own notion
// of who is logged in (here a session cookie set by /login?user=ID, which
// stands for a real login), and hands the page a short-lived ES256 JWT whose
// `sub` is the user id, signed with a private key that only it holds;
// ssecast verifies tokens with the public half (--jwt_public_key_file). The
// client id then IS the user id, so `ssecastctl disconnect 42` disconnects
// user 42 in every tab, and this backend never sees ssecast's cookies.
//
//   node examples/backend/backend.js --key=backend-key.pem \
//       --ssecast=http://localhost:8080 --port=3000
//
// Routes: /login?user=ID (sets the session, then redirects to /), / (the
// page: loads /ssecast.js from ssecast and shows the events), /token (a
// fresh token for the session's user; 401 without a session). No
// dependencies beyond Node.

'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

function flag(name, fallback) {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  if (arg) return arg.slice(prefix.length);
  if (fallback === undefined) {
    console.error(`backend: --${name} is required`);
    process.exit(2);
  }
  return fallback;
}

const privateKey = crypto.createPrivateKey(fs.readFileSync(flag('key')));
const ssecast = flag('ssecast').replace(/\/+$/, '');
const port = Number(flag('port', '3000'));
const host = flag('host', '127.0.0.1');
const tokenSeconds = Number(flag('token_seconds', '300'));
const alg = privateKey.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256';

// session id -> user id. A real backend has its own sessions.
const sessions = new Map();

function base64url(text) {
  return Buffer.from(text).toString('base64url');
}

// A JWT for `userId`: ssecast takes `sub` as the client id and ends the
// stream at `exp` (the page's client renews the token before that).
function mintToken(userId) {
  const header = base64url(JSON.stringify({alg, typ: 'JWT'}));
  const exp = Math.floor(Date.now() / 1000) + tokenSeconds;
  const payload = base64url(JSON.stringify({sub: userId, exp}));
  const input = `${header}.${payload}`;
  // ES256 signatures are r || s (IEEE P1363), not DER.
  const signature = crypto.sign(
      'sha256', Buffer.from(input), {key: privateKey, dsaEncoding: 'ieee-p1363'});
  return `${input}.${signature.toString('base64url')}`;
}

function sessionUser(request) {
  const match = /(?:^|;\s*)session=([0-9a-f]+)/.exec(request.headers.cookie || '');
  return match ? sessions.get(match[1]) : undefined;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>backend + ssecast</title>
<p>Logged in as <b id="user"></b>; stream: <b id="state">connecting</b></p>
<ul id="events"></ul>
<script src="${ssecast}/ssecast.js"></script>
<script>
'use strict';
async function token() {
  const response = await fetch('/token');
  if (!response.ok) throw new Error('no token: ' + response.status);
  return response.text();
}
window.s = ssecast.connect('${ssecast}/events', {token});
s.on('*', (event) => {
  const item = document.createElement('li');
  item.textContent = event.type + ': ' + event.data;
  document.getElementById('events').append(item);
});
s.onStateChange((state) => {
  document.getElementById('state').textContent =
      state === 'stopped' ? 'stopped by the server' : state;
});
</script>
`;

const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://backend');
  if (url.pathname === '/login') {
    const user = url.searchParams.get('user') || '';
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
      response.writeHead(400).end('bad user id\n');
      return;
    }
    const session = crypto.randomBytes(16).toString('hex');
    sessions.set(session, user);
    response.writeHead(303, {
      'Location': '/',
      'Set-Cookie': `session=${session}; Path=/; HttpOnly; SameSite=Lax`,
    });
    response.end();
  } else if (url.pathname === '/token') {
    const user = sessionUser(request);
    if (!user) {
      response.writeHead(401).end('log in first\n');
      return;
    }
    response.writeHead(200, {
      'Content-Type': 'text/plain',
      'Cache-Control': 'no-store',
    });
    response.end(mintToken(user));
  } else if (url.pathname === '/') {
    const user = sessionUser(request);
    if (!user) {
      response.writeHead(303, {'Location': '/login?user=42'}).end();
      return;
    }
    response.writeHead(200, {'Content-Type': 'text/html; charset=utf-8'});
    response.end(PAGE.replace('<b id="user"></b>',
                              `<b id="user">${user}</b>`));
  } else {
    response.writeHead(404).end();
  }
});

server.listen(port, host, () => {
  console.log(`backend listening http://${host}:${server.address().port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
