// The README's identity recipe ("In the browser"), run as written: the
// commands are read from README.md and run with only the addresses changed
// (free ports instead of 3000 and 8080, the built binaries instead of
// `bazel run`). A backend (examples/backend/backend.js) mints ES256 tokens
// for its user 42; tabs of a headless Chromium log in and connect with
// /ssecast.js; ssecastctl publishes to them and disconnects user 42 by that
// id, without anyone reading a ssecast cookie.
//
// Run by Bazel (//tests/browser:recipe_browser_test).

'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const test = require('node:test');
const {chromium} = require('playwright-core');
const {
  CHROMIUM_ARGS,
  QUIET_WINDOW_MS,
  binaryPath,
  cleanupStack,
  connectedClientIds,
  connectionCount,
  freePort,
  sourcePath,
  ssecastctl,
  startSsecast,
  waitFor,
} = require('./harness.js');

const README = sourcePath('README.md');
const BACKEND = sourcePath('examples/backend/backend.js');

// The recipe's commands: the README lines from "# once: the backend's key
// pair" to the one starting the backend, comments left out.
function recipeCommands() {
  const lines = fs.readFileSync(README, 'utf8').split('\n');
  const first = lines.findIndex((l) => l.trim() === '# once: the backend\'s key pair');
  assert.notEqual(first, -1, 'README.md has no identity recipe');
  const commands = [];
  for (const line of lines.slice(first)) {
    const command = line.trim();
    if (command.startsWith('#')) continue;
    commands.push(command);
    if (command.startsWith('node examples/backend/backend.js')) break;
  }
  assert.equal(commands.length, 4, `recipe commands: ${commands}`);
  return commands;
}

function run(command, cwd) {
  childProcess.execSync(command, {cwd, stdio: ['ignore', 'pipe', 'pipe']});
}

// Starts the backend as the README does; resolves with its origin.
function startBackend(args, cwd, cleanups) {
  const child = childProcess.spawn(
      process.execPath, [BACKEND, ...args], {cwd, stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (chunk) => stderr += chunk);
  const exited = new Promise(
      (resolve) => child.once('exit', (code, signal) => resolve({code, signal})));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const {code, signal} = await exited;
    assert.equal(code, 0, `backend exited ${code} (${signal}): ${stderr}`);
  });
  return new Promise((resolve, reject) => {
    exited.then(({code}) => reject(new Error(`backend exited ${code}: ${stderr}`)));
    readline.createInterface({input: child.stdout}).on('line', (line) => {
      const match = /^backend listening (\S+)$/.exec(line);
      if (match) resolve(match[1]);
    });
  });
}

test('the identity recipe from the README', {timeout: 240000}, async (t) => {
  const cleanups = cleanupStack(t);
  const [genpkey, pubout, ssecastLine, backendLine] = recipeCommands();
  const dir = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'recipe-'));

  run(genpkey, dir);
  run(pubout, dir);

  const backendPort = await freePort();
  const backendOrigin = `http://127.0.0.1:${backendPort}`;
  const ssecastPrefix = 'bazel run //server:ssecast -- ';
  assert.ok(ssecastLine.startsWith(ssecastPrefix), ssecastLine);
  const ssecastFlags = ssecastLine.slice(ssecastPrefix.length)
                           .replaceAll('$PWD', dir)
                           .replaceAll('http://127.0.0.1:3000', backendOrigin)
                           .split(/\s+/);
  const server = await startSsecast(ssecastFlags);
  cleanups.push(() => server.stopAndCheck());

  const backendArgs = backendLine.split(/\s+/).slice(2).map(
      (arg) => arg.replace('http://127.0.0.1:8080', `http://${server.http}`)
                   .replace('--port=3000', `--port=${backendPort}`));
  assert.equal(await startBackend(backendArgs, dir, cleanups), backendOrigin);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  cleanups.push(() => browser.close());
  const context = await browser.newContext();
  const tabs = [];
  for (let i = 0; i < 3; ++i) {
    const tab = await context.newPage();
    await tab.goto(`${backendOrigin}/login?user=42`);
    tabs.push(tab);
  }
  const explain = async () => {
    const shown = [];
    for (const tab of tabs) {
      shown.push(await tab.evaluate(() => document.body.innerText));
    }
    return `${JSON.stringify(shown)}; ssecast stderr: ${server.stderr()}`;
  };
  const text = (tab, id) => tab.evaluate((id) => document.getElementById(id).textContent, id);
  for (const tab of tabs) {
    await waitFor('every tab to show "open"', async () => await text(tab, 'state') === 'open', explain);
    assert.equal(await text(tab, 'user'), '42');
  }
  // The client id is the backend's user id, on one stream for the browser.
  assert.deepEqual(await connectedClientIds(server), ['42']);
  assert.equal(await connectionCount(server), 1);

  await ssecastctl(server, ['publish', '--all', '--type=greeting', 'hello']);
  for (const tab of tabs) {
    await waitFor('the greeting in every tab',
                  async () => await text(tab, 'events') === 'greeting: hello', explain);
  }

  await ssecastctl(server, ['disconnect', '42']);
  for (const tab of tabs) {
    await waitFor('every tab to show "stopped by the server"',
                  async () => await text(tab, 'state') === 'stopped by the server', explain);
  }
  await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
  assert.equal(await connectionCount(server), 0);
  for (const tab of tabs) {
    assert.equal(await text(tab, 'state'), 'stopped by the server', await explain());
  }
  // None of it needed a cookie of ssecast's.
  const cookies = await context.cookies();
  assert.deepEqual(cookies.map((c) => c.name), ['session'], JSON.stringify(cookies));
});
