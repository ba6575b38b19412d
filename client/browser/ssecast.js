// ssecast.js: the browser client for ssecast, served by ssecast at
// /ssecast.js. A plain script with no build step and no dependencies; it
// defines the global `ssecast`. See README, "In the browser".
//
//   const s = ssecast.connect('/events?group=news', {token: getToken});
//   s.on('greeting', (event) => ...);   // event.type, .data, .id
//   s.on('*', (event) => ...);          // every event
//   s.onResync((notice) => ...);        // the server lost our place: reload
//   s.onStateChange((state, detail) => ...);
//   s.close();
//
// All tabs of one browser profile and origin that connect to the same URL
// share one stream: the tab holding a Web Lock named after the URL reads it
// and relays every event over a BroadcastChannel. When that tab goes,
// another takes the lock and resumes from the last event id it saw; every
// tab drops events it has already seen, so none is lost or doubled. Where
// Web Locks or BroadcastChannel are missing, each tab reads its own stream.
//
// The stream is read with fetch() rather than EventSource, so that the
// client can tell a 204 (the server ended it for good: state 'stopped')
// from a failure, and send the token and Last-Event-ID as headers.
(function (root) {
  'use strict';

  var RESYNC_TYPE = 'ssecast.resync';
  var DEFAULT_RETRY_MS = 1000;
  var MAX_RETRY_MS = 30000;
  var DEFAULT_RENEW_BEFORE_MS = 10000;

  // The position an event id starts with ("<epoch>-<sequence>", then
  // optionally ":" and the publisher's id), as [epoch, sequence]; null if
  // the id has none.
  function positionOf(id) {
    var match = /^(\d+)-(\d+)(?::|$)/.exec(id || '');
    return match ? [Number(match[1]), Number(match[2])] : null;
  }

  function isAfter(a, b) {
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
  }

  // The `exp` claim of a JWT, in ms since the epoch; null for a token that
  // is not a JWT or has no numeric exp.
  function expiryOf(token) {
    var parts = String(token).split('.');
    if (parts.length !== 3) return null;
    try {
      var base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      while (base64.length % 4 !== 0) base64 += '=';
      var claims = JSON.parse(atob(base64));
      return typeof claims.exp === 'number' ? claims.exp * 1000 : null;
    } catch (error) {
      return null;
    }
  }

  // Calls `fn(value)`; an exception in page code is rethrown on its own
  // task, so that it is reported but does not break the stream.
  function callSafely(fn, a, b) {
    try {
      fn(a, b);
    } catch (error) {
      setTimeout(function () { throw error; });
    }
  }

  // Parses text/event-stream per the HTML standard's rules, calling
  // onEvent({type, data, id}) per dispatched event, onRetry(ms) per valid
  // retry field, and onPosition(id) for a block that sets the id but holds
  // no data (the server starts a stream without Last-Event-ID with one, so
  // that the client has a position before its first event).
  function SseParser(onEvent, onRetry, onPosition) {
    var pending = '';
    var data = [];
    var type = '';
    var lastId = '';
    var blockHasId = false;

    function line(text) {
      if (text === '') {
        var hadId = blockHasId;
        blockHasId = false;
        if (data.length > 0) {
          var event = {type: type || 'message', data: data.join('\n'), id: lastId};
          data = [];
          type = '';
          onEvent(event);
        } else {
          type = '';
          if (hadId && lastId) onPosition(lastId);
        }
        return;
      }
      if (text.charAt(0) === ':') return;
      var colon = text.indexOf(':');
      var field = colon === -1 ? text : text.slice(0, colon);
      var value = colon === -1 ? '' : text.slice(colon + 1);
      if (value.charAt(0) === ' ') value = value.slice(1);
      if (field === 'data') {
        data.push(value);
      } else if (field === 'event') {
        type = value;
      } else if (field === 'id') {
        if (value.indexOf('\0') === -1) {
          lastId = value;
          blockHasId = true;
        }
      } else if (field === 'retry') {
        if (/^\d+$/.test(value)) onRetry(Number(value));
      }
    }

    this.push = function (text) {
      pending += text;
      var start = 0;
      for (;;) {
        var cr = pending.indexOf('\r', start);
        var lf = pending.indexOf('\n', start);
        if (cr === -1 && lf === -1) break;
        var end;
        var next;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          // A CR at the end may be the first half of a CRLF.
          if (cr === pending.length - 1) break;
          end = cr;
          next = pending.charAt(cr + 1) === '\n' ? cr + 2 : cr + 1;
        } else {
          end = lf;
          next = lf + 1;
        }
        line(pending.slice(start, end));
        start = next;
      }
      pending = pending.slice(start);
    };
  }

  // One GET of the stream. handlers: open(), event(e), position(id),
  // retry(ms), end(outcome) where outcome.kind is 'stopped' (204), 'refused' (another
  // status; .status, .message), 'ended' (the server closed a stream) or
  // 'network'. Nothing is called after abort().
  function openStream(url, headers, handlers) {
    var controller = new AbortController();
    var done = false;
    function finish(outcome) {
      if (done) return;
      done = true;
      handlers.end(outcome);
    }
    var parser = new SseParser(
        function (event) { if (!done) handlers.event(event); },
        function (ms) { if (!done) handlers.retry(ms); },
        function (id) { if (!done) handlers.position(id); });
    fetch(url, {
      headers: headers,
      credentials: 'include',
      cache: 'no-store',
      signal: controller.signal,
    }).then(function (response) {
      if (done) return;
      var contentType = response.headers.get('Content-Type') || '';
      if (response.status === 204) {
        finish({kind: 'stopped', status: 204});
        return;
      }
      if (response.status !== 200 || contentType.indexOf('text/event-stream') !== 0) {
        return response.text().then(function (text) {
          finish({kind: 'refused', status: response.status, message: text.trim()});
        }, function () {
          finish({kind: 'refused', status: response.status, message: ''});
        });
      }
      handlers.open();
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      function pump() {
        return reader.read().then(function (chunk) {
          if (done) return;
          if (chunk.done) {
            parser.push(decoder.decode());
            finish({kind: 'ended'});
            return;
          }
          parser.push(decoder.decode(chunk.value, {stream: true}));
          return pump();
        });
      }
      return pump();
    }).catch(function (error) {
      finish({kind: 'network', message: String((error && error.message) || error)});
    });
    return {
      abort: function () {
        done = true;
        controller.abort();
      },
    };
  }

  // Statuses after which trying again cannot help: the request itself is
  // refused (bad group, group not allowed, not an event stream, ...).
  function isFinalRefusal(status) {
    return status >= 400 && status < 500 && status !== 401 && status !== 408 &&
        status !== 429;
  }

  function Subscription(url, options) {
    this.url = new URL(url, root.location ? root.location.href : undefined).href;
    this._options = options || {};
    this._listeners = Object.create(null);
    this._resyncListeners = [];
    this._stateListeners = [];
    this.state = 'connecting';
    this._detail = null;
    this.role = null;
    this.lastEventId = null;
    this._position = null;
    this._generation = 0;
    this._stream = null;
    this._timer = null;
    this._renewTimer = null;
    this._failures = 0;
    this._retryMs = DEFAULT_RETRY_MS;
    this._ended = false;
    this._channel = null;
    this._releaseLock = null;
    this._lockRequest = null;

    var shared = this._options.share !== false &&
        typeof BroadcastChannel === 'function' && root.navigator &&
        root.navigator.locks && typeof root.navigator.locks.request === 'function';
    if (shared) {
      this._joinTabs();
    } else {
      this.role = 'alone';
      this._connect(false);
    }
  }

  function addListener(list, fn) {
    if (typeof fn !== 'function') throw new TypeError('ssecast: listener is not a function');
    list.push(fn);
    return function () {
      var i = list.indexOf(fn);
      if (i !== -1) list.splice(i, 1);
    };
  }

  Subscription.prototype.on = function (type, fn) {
    var list = this._listeners[type] || (this._listeners[type] = []);
    return addListener(list, fn);
  };

  Subscription.prototype.onResync = function (fn) {
    return addListener(this._resyncListeners, fn);
  };

  Subscription.prototype.onStateChange = function (fn) {
    return addListener(this._stateListeners, fn);
  };

  Subscription.prototype.close = function () {
    if (this._ended) {
      // Stopped or failed earlier: let go of what a leader still holds.
      if (this._releaseLock) this._releaseLock();
      if (this._channel) this._channel.close();
      this._channel = null;
      return;
    }
    this._end('closed', null);
  };

  // Hands `event` ({type, data, id}) to the page unless it was seen
  // already; returns whether it was new.
  Subscription.prototype._deliver = function (event) {
    var position = positionOf(event.id);
    var resync = event.type === RESYNC_TYPE;
    // A resync notice resets the position (it may come from a restarted
    // server whose positions start lower).
    if (position && this._position && !resync && !isAfter(position, this._position)) {
      return false;
    }
    if (position) this._position = position;
    if (event.id) this.lastEventId = event.id;
    if (resync) {
      var notice = {reason: 'unknown', id: event.id};
      try {
        notice.reason = JSON.parse(event.data).reason || 'unknown';
      } catch (error) { /* keep 'unknown' */ }
      this._resyncListeners.slice().forEach(function (fn) { callSafely(fn, notice); });
      return true;
    }
    var shown = {type: event.type, data: event.data, id: event.id, lastEventId: event.id};
    (this._listeners[event.type] || []).slice().concat(this._listeners['*'] || [])
        .forEach(function (fn) { callSafely(fn, shown); });
    return true;
  };

  Subscription.prototype._setState = function (state, detail) {
    if (this.state === state && !detail) return;
    this.state = state;
    this._detail = detail || null;
    this._stateListeners.slice().forEach(function (fn) { callSafely(fn, state, detail || null); });
    if (this.role === 'leader' && this._channel) {
      this._channel.postMessage({kind: 'state', state: state, detail: detail || null});
    }
  };

  // Ends this subscription: 'closed' by the page, 'stopped' by the server's
  // 204, 'failed' on a refusal that retrying cannot fix.
  Subscription.prototype._end = function (state, detail) {
    if (this._ended) return;
    this._ended = true;
    ++this._generation;
    clearTimeout(this._timer);
    clearTimeout(this._renewTimer);
    if (this._stream) this._stream.abort();
    this._stream = null;
    this._setState(state, detail);
    if (this._lockRequest) this._lockRequest.abort();
    if (state === 'closed') {
      // Another tab takes over.
      if (this._releaseLock) this._releaseLock();
    }
    // A stopped or failed leader keeps the lock and the channel until its
    // tab closes (or close() is called), so that no other tab opens the
    // stream again: the waiting tabs were told, and tabs opened later are
    // told when they say hello.
    if (this._channel && (state === 'closed' || this.role !== 'leader')) {
      this._channel.close();
      this._channel = null;
    }
  };

  Subscription.prototype._joinTabs = function () {
    var self = this;
    var name = 'ssecast ' + this.url;
    this.role = 'follower';
    this._channel = new BroadcastChannel(name);
    this._channel.onmessage = function (message) { self._onRelay(message.data); };
    this._lockRequest = new AbortController();
    root.navigator.locks.request(name, {signal: this._lockRequest.signal}, function () {
      if (self._ended) return undefined;
      self._lockRequest = null;
      return new Promise(function (release) {
        self._releaseLock = release;
        self.role = 'leader';
        self._connect(false);
      });
    }).catch(function () { /* aborted: this tab stopped waiting */ });
    this._channel.postMessage({kind: 'hello'});
  };

  Subscription.prototype._onRelay = function (message) {
    if (!message) return;
    if (this._ended) {
      if (message.kind === 'hello' && this._channel) {
        this._channel.postMessage({kind: 'sync', state: this.state, detail: this._detail, lastEventId: this.lastEventId});
      }
      return;
    }
    if (message.kind === 'event') {
      this._deliver(message.event);
    } else if (message.kind === 'position') {
      if (this.role !== 'leader') this._notePosition(message.id, false);
    } else if (message.kind === 'hello') {
      if (this.role === 'leader') {
        this._channel.postMessage({kind: 'sync', state: this.state, detail: this._detail, lastEventId: this.lastEventId});
      }
    } else if (message.kind === 'sync' || message.kind === 'state') {
      if (this.role === 'leader') return;
      if (message.kind === 'sync' && message.lastEventId) {
        this._notePosition(message.lastEventId, false);
      }
      if (message.state === 'stopped' || message.state === 'failed') {
        this._end(message.state, message.detail || null);
      } else if (message.state !== 'closed') {
        this._setState(message.state, message.detail || null);
      }
    }
  };

  // Opens the stream (this tab leads, or is alone). `renewing`: the current
  // stream is fine but its token expires soon; it is replaced once the new
  // token is in hand, and the state stays 'open'.
  Subscription.prototype._connect = function (renewing) {
    if (this._ended) return;
    var self = this;
    var generation = ++this._generation;
    clearTimeout(this._renewTimer);
    if (!renewing) {
      if (this._stream) this._stream.abort();
      this._stream = null;
      this._setState('connecting', null);
    }
    var tokenFn = this._options.token;
    Promise.resolve().then(function () { return tokenFn ? tokenFn() : null; }).then(function (token) {
      if (generation !== self._generation) return;
      var headers = {Accept: 'text/event-stream'};
      if (token) headers.Authorization = 'Bearer ' + token;
      // Replaying from here is what makes a renewal or a takeover gapless.
      // Every stream starts with a position (the server announces one when
      // none was sent), so there is one from the moment a stream opened.
      if (self.lastEventId) headers['Last-Event-ID'] = self.lastEventId;
      var expiresAt = token ? expiryOf(token) : null;
      if (self._stream) self._stream.abort();
      self._stream = openStream(self.url, headers, {
        open: function () {
          self._failures = 0;
          self._setState('open', null);
          if (expiresAt !== null) self._scheduleRenewal(generation, expiresAt);
        },
        event: function (event) { self._accept(event); },
        position: function (id) { self._notePosition(id, true); },
        retry: function (ms) { self._retryMs = ms; },
        end: function (outcome) {
          if (generation === self._generation) self._onStreamEnd(outcome);
        },
      });
    }, function (error) {
      if (generation !== self._generation) return;
      self._retryLater({reason: 'token', message: String((error && error.message) || error)});
    });
  };

  // Delivers an event from the stream and relays it to the other tabs.
  Subscription.prototype._accept = function (event) {
    if (this._deliver(event) && this.role === 'leader' && this._channel) {
      this._channel.postMessage({kind: 'event', event: event});
    }
  };

  // Takes `id` as the position to resume from when it is the first one or
  // later than the last; the leader (`relay`) tells the other tabs, so that
  // whichever takes over resumes from it.
  Subscription.prototype._notePosition = function (id, relay) {
    var position = positionOf(id);
    if (!position || (this._position && !isAfter(position, this._position))) return;
    this._position = position;
    this.lastEventId = id;
    if (relay && this.role === 'leader' && this._channel) {
      this._channel.postMessage({kind: 'position', id: id});
    }
  };

  // Renews the token a little before it expires: 10 s ahead by default
  // (option renewBeforeMs), or halfway for a token that lives less.
  Subscription.prototype._scheduleRenewal = function (generation, expiresAt) {
    var self = this;
    var left = expiresAt - Date.now();
    var ahead = Math.min(this._options.renewBeforeMs || DEFAULT_RENEW_BEFORE_MS, left / 2);
    clearTimeout(this._renewTimer);
    this._renewTimer = setTimeout(function () {
      if (generation === self._generation) self._connect(true);
    }, Math.max(0, left - ahead));
  };

  Subscription.prototype._onStreamEnd = function (outcome) {
    this._stream = null;
    if (outcome.kind === 'stopped') {
      this._end('stopped', {status: 204});
    } else if (outcome.kind === 'refused' && isFinalRefusal(outcome.status)) {
      this._end('failed', {status: outcome.status, message: outcome.message});
    } else {
      this._retryLater(outcome.kind === 'ended' ? null :
          {status: outcome.status || 0, message: outcome.message || ''});
    }
  };

  // Reconnects after the server's retry interval, doubling it (up to 30 s)
  // for each failure in a row. `detail` says what went wrong, if anything.
  Subscription.prototype._retryLater = function (detail) {
    var self = this;
    var delay = Math.min(MAX_RETRY_MS, this._retryMs * Math.pow(2, this._failures));
    if (this._failures > 0) delay = delay / 2 + Math.random() * delay / 2;
    ++this._failures;
    ++this._generation;
    clearTimeout(this._renewTimer);
    this._setState('connecting', detail);
    clearTimeout(this._timer);
    this._timer = setTimeout(function () { self._connect(false); }, delay);
  };

  root.ssecast = {
    connect: function (url, options) { return new Subscription(url, options); },
  };
})(typeof self !== 'undefined' ? self : this);
