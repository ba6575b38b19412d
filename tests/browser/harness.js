// Shared by the Chromium tests: starting ssecast on free ports, steering it
// with ssecastctl, waiting for conditions and cleaning up after a test.
//
// Run by Bazel, the binaries come from the runfiles; outside Bazel from
// bazel-bin.

'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');

// Generous: the machine has 2 cores and may be busy with other builds.
const DEADLINE_MS = 30000;
// The reconnect interval ssecast tells the browser to use (`retry:`).
const RETRY_MS = 500;
// How long "nothing more happens" is watched for: several retry intervals.
const QUIET_WINDOW_MS = 3000;

// Flags from the Chromium setup verified on these machines: without the
// background-networking ones Chromium keeps dialling the closed network.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function binaryPath(relative) {
  if (process.env.TEST_SRCDIR) {
    return path.join(
        process.env.TEST_SRCDIR, process.env.TEST_WORKSPACE || 'ssecast',
        relative);
  }
  return path.join(__dirname, '..', '..', 'bazel-bin', relative);
}

// A source file of this checkout: in the runfiles under Bazel, else here.
function sourcePath(relative) {
  return process.env.TEST_SRCDIR ? binaryPath(relative) :
                                   path.join(__dirname, '..', '..', relative);
}

// A port the kernel picked and let go, for a process that must be told its
// port before it starts (nginx, a backend whose origin ssecast must know).
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const {port} = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const SSECAST = binaryPath('server/ssecast');
const SSECASTCTL = binaryPath('client/ssecastctl');

// Starts ssecast on free ports and resolves once it printed where it
// listens. Rejects with its stderr if it exits or stays silent.
function startSsecast(extraFlags) {
  const child = childProcess.spawn(
      SSECAST,
      [
        '--http_address=127.0.0.1:0',
        '--grpc_address=127.0.0.1:0',
        '--admin_address=127.0.0.1:0',
        '--shutdown_grace=1s',
        '--drain_delay=0s',
        ...extraFlags,
      ],
      {stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (chunk) => stderr += chunk);
  const exited = new Promise(
      (resolve) => child.once('exit', (code, signal) => resolve({code, signal})));

  // Ends ssecast with SIGTERM; resolves with how it exited.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  // Stops ssecast and fails unless it exited 0 (its shutdown ran cleanly).
  const stopAndCheck = async () => {
    const {code, signal} = await stop();
    assert.equal(
        code, 0, `ssecast exited with ${code} (signal ${signal}); ` +
            `stderr:\n${stderr}`);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(
          `ssecast did not report its addresses within ` +
          `${DEADLINE_MS} ms; stderr:\n${stderr}`));
    }, DEADLINE_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${SSECAST}: ${error.message}`));
    });
    exited.then(({code}) => {
      clearTimeout(timer);
      reject(new Error(
          `ssecast exited (${code}) before listening; ` +
          `stderr:\n${stderr}`));
    });
    readline.createInterface({input: child.stdout}).on('line', (line) => {
      const match = /^ssecast listening http=(\S+) grpc=(\S+)(?: admin=(\S+))?$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        http: match[1],
        grpc: match[2],
        stop,
        stopAndCheck,
        stderr: () => stderr,
      });
    });
  });
}

// Runs ssecastctl against `server` and resolves with its stdout.
function ssecastctl(server, args) {
  return new Promise((resolve, reject) => {
    childProcess.execFile(
        SSECASTCTL, [`--server=${server.grpc}`, ...args],
        {timeout: DEADLINE_MS}, (error, stdout, stderr) => {
          if (error) {
            reject(new Error(
                `ssecastctl ${args.join(' ')} failed: ` +
                `${error.message}\n${stderr}`));
          } else {
            resolve(stdout);
          }
        });
  });
}

// The ids of the clients connected to `server`, from `ssecastctl clients`
// (a table whose first column is the client id, one row per connection).
async function connectedClientIds(server) {
  const table = await ssecastctl(server, ['clients']);
  if (table.trim() === 'no clients connected') return [];
  const rows = table.trim().split('\n').slice(1);
  return [...new Set(rows.map((row) => row.split(/\s+/)[0]))];
}

// How many streams `server` holds: the rows of `ssecastctl clients`.
async function connectionCount(server) {
  const table = await ssecastctl(server, ['clients']);
  if (table.trim() === 'no clients connected') return 0;
  return table.trim().split('\n').length - 1;
}

// Publishes one event to every client.
function publish(server, {type, id, data}) {
  const flags = ['publish', '--all'];
  if (type) flags.push(`--type=${type}`);
  if (id) flags.push(`--id=${id}`);
  return ssecastctl(server, [...flags, '--', data]);
}

// Resolves with `check()`'s value once it is truthy; fails after the
// deadline with `what` and whatever `explain()` says about the state.
async function waitFor(what, check, explain) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      assert.fail(
          `timed out after ${DEADLINE_MS} ms waiting for ${what}; ` +
          `${await explain()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A list of cleanups that run when test `t` ends, last pushed first, so the
// browser lets go of its streams before ssecast is asked to drain them.
function cleanupStack(t) {
  const cleanups = [];
  t.after(async () => {
    while (cleanups.length > 0) await cleanups.pop()();
  });
  return cleanups;
}
module.exports = {
  CHROMIUM_ARGS,
  DEADLINE_MS,
  QUIET_WINDOW_MS,
  RETRY_MS,
  SSECAST,
  SSECASTCTL,
  binaryPath,
  cleanupStack,
  connectedClientIds,
  connectionCount,
  freePort,
  publish,
  sourcePath,
  ssecastctl,
  startSsecast,
  waitFor,
};
