/*
 * PulseBMS operators' dashboard: plain JavaScript, no framework, no build step, no external assets.
 *
 * A single page with hash routes:
 *   #/fleet/{site_id}     fleet overview of one site (summary tiles, device table, the site's alerts)
 *   #/device/{device_id}  one pack (live values, 5-minute line charts, cell voltages, alerts, commands)
 *   #/ (anything else)    the first site's fleet
 * Without a token the sign-in form is shown instead. The token lives in sessionStorage (this tab only); a
 * page opened as /dashboard/?access_token=… adopts the token and removes it from the address bar, so a
 * headless browser can open a view directly.
 *
 * Data: the relay's REST API under /api/v1 for the first picture and for actions, and one WebSocket on
 * /ws/{client_id} for everything live. The socket carries at most one subscription per topic, so each view
 * states the subscriptions it wants and the connection sends the difference; after a reconnect it sends them
 * all again.
 *
 * Hooks for tests: document.body.dataset.view ("login", "fleet", "device", "empty"),
 * document.body.dataset.liveMessages (WebSocket messages received), document.body.dataset.socket (the
 * connection state), and data-live / data-field / data-value attributes on every element holding a live value
 * (data-value carries the raw number, the text is formatted for people).
 */
'use strict';

(() => {
  // MARK: - Settings

  const API_BASE = '/api/v1';
  const TOKEN_KEY = 'pulsebms.token';
  const CHART_WINDOW_MS = 5 * 60 * 1000;
  /** A line is broken across a pause longer than this, so a pack that went quiet does not look steady. */
  const GAP_MS = 15 * 1000;
  const SERIES_METRICS = ['voltage', 'current', 'soc', 'temperature'];
  /** The smallest y range of each line chart, so sensor noise is not blown up to full height. */
  const MIN_SPAN = { voltage: 2, current: 2, soc: 2, temperature: 2 };
  const SAMPLE_RATE = '1Hz';
  const FLEET_INTERVAL_MS = 2000;
  const DEVICE_FLEET_INTERVAL_MS = 5000;
  const MAX_ALERTS = 100;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30 * 1000;
  /** A connection must stay up this long before the backoff starts again from the minimum. */
  const STABLE_MS = 5000;

  // MARK: - Application state

  const app = {
    token: null,
    /** Device records from GET /devices, by device_id. */
    devices: new Map(),
    /** Sorted site ids of the visible devices. */
    sites: [],
    devicesLoaded: false,
    /** The mounted view's controller: { subscriptions, onTelemetry, onFleet, onAlert, dispose }. */
    view: null,
    /** Increases on each navigation, so that a slow earlier navigation does not mount over a later one. */
    routeSeq: 0,
    liveMessages: 0,
    droppedTelemetry: 0,
    socket: null,
  };

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // MARK: - DOM helpers

  /** Creates an element. Text is always set as text, never parsed as HTML. */
  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** Sets the text (and the raw value in data-value) of every `[data-live=name]` under root. */
  function setLive(root, name, text, value) {
    for (const node of root.querySelectorAll(`[data-live="${name}"]`)) {
      if (node.textContent !== text) node.textContent = text;
      if (value !== undefined) node.dataset.value = value === null ? '' : String(value);
    }
  }

  function cloneTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function mount(node) {
    const view = $('#view');
    view.replaceChildren(node);
    return node;
  }

  function showBanner(text) {
    const banner = $('#banner');
    banner.textContent = text;
    banner.hidden = false;
  }

  function hideBanner() {
    $('#banner').hidden = true;
  }

  function setCrumbs(...parts) {
    $('#crumbs').replaceChildren(
      ...parts.map(([label, href]) => (href ? h('a', { href, text: label }) : h('span', { text: label }))),
    );
  }

  // MARK: - Formatting

  const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
  const DASH = '–';

  const format = {
    fixed: (value, digits, unit = '') => (isNumber(value) ? `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}` : DASH),
    percent: (value) => format.fixed(value, 1, '%'),
    /** Power in W: shown in kW from 1 kW up. Positive is discharging, as on the wire. */
    power: (watts) => {
      if (!isNumber(watts)) return DASH;
      return Math.abs(watts) >= 1000 ? `${(watts / 1000).toFixed(1)} kW` : `${watts.toFixed(0)} W`;
    },
    energy: (kilowattHours) => format.fixed(kilowattHours, 1, 'kWh'),
    time: (timestamp) => {
      const date = new Date(timestamp);
      return Number.isNaN(date.getTime()) ? DASH : date.toLocaleTimeString([], { hour12: false });
    },
    dateTime: (timestamp) => {
      const date = new Date(timestamp);
      return Number.isNaN(date.getTime()) ? DASH : date.toLocaleString([], { hour12: false });
    },
  };

  // MARK: - Token

  // sessionStorage can be unavailable (storage disabled); the token then lives only in memory.
  function readStoredToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  }

  function storeToken(token) {
    app.token = token;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      /* memory only */
    }
  }

  /** Moves `?access_token=` from the address into sessionStorage, so it is neither bookmarked nor shared. */
  function adoptTokenFromAddress() {
    const params = new URLSearchParams(location.search);
    const token = params.get('access_token');
    if (!token) return;
    storeToken(token);
    params.delete('access_token');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }

  // MARK: - REST

  class ApiError extends Error {
    constructor(status, code, message, traceId) {
      super(message);
      this.status = status;
      this.code = code;
      this.traceId = traceId;
    }

    /** "423 DEVICE_LOCKED: Device … is in maintenance mode" */
    get summary() {
      return `${this.status || 'No answer'} ${this.code}: ${this.message}`;
    }
  }

  /**
   * Calls the relay's REST API and returns { status, body }. Errors throw ApiError with the spec's error
   * body's code and message. A 401 also ends the session: the token is gone or refused, so the sign-in form
   * comes back with the relay's reason.
   */
  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${app.token}`, Accept: 'application/json' };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${API_BASE}${path}`, init);
    } catch (error) {
      throw new ApiError(0, 'NETWORK_ERROR', `The relay did not answer (${error.message})`);
    }
    const text = await response.text();
    let payload = null;
    try {
      payload = text ? JSON.parse(text) : null;
    } catch {
      payload = null;
    }
    if (!response.ok) {
      const detail = (payload && payload.error) || {};
      const error = new ApiError(
        response.status,
        detail.code || `HTTP_${response.status}`,
        detail.message || response.statusText || 'Request failed',
        detail.trace_id || response.headers.get('X-Trace-ID'),
      );
      if (response.status === 401) endSession(`The relay refused the token: ${error.code}: ${error.message}`);
      throw error;
    }
    return { status: response.status, body: payload };
  }

  /** Loads every visible device (paged), and the sites they belong to. */
  async function loadDevices() {
    const devices = [];
    let offset = 0;
    for (let page = 0; page < 50; page += 1) {
      const { body } = await api('GET', `/devices?limit=500&offset=${offset}`);
      devices.push(...body.devices);
      offset += body.devices.length;
      if (body.devices.length === 0 || offset >= body.total) break;
    }
    app.devices = new Map(devices.map((device) => [device.device_id, device]));
    app.sites = [...new Set(devices.map((device) => device.site_id))].sort();
    app.devicesLoaded = true;
  }

  // MARK: - Live connection

  /**
   * One WebSocket to /ws/{client_id}, reconnected with exponential backoff and jitter. The browser cannot put
   * headers on a WebSocket, so the token goes in `access_token`, which the relay accepts for this purpose.
   */
  class LiveConnection {
    constructor({ onMessage, onState }) {
      // One id per page load: the relay replaces an older connection with the same id, so two tabs must differ.
      const random = new Uint8Array(8);
      crypto.getRandomValues(random);
      this.clientId = `dashboard-${Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
      this.onMessage = onMessage;
      this.onState = onState;
      /** topic → the subscribe message's text, as last sent (or to be sent on connect). */
      this.subscriptions = new Map();
      this.ws = null;
      this.attempt = 0;
      this.retryTimer = null;
      this.stableTimer = null;
      this.running = false;
    }

    start() {
      if (this.running) return;
      this.running = true;
      this.connect();
    }

    stop() {
      this.running = false;
      clearTimeout(this.retryTimer);
      clearTimeout(this.stableTimer);
      this.subscriptions.clear();
      const ws = this.ws;
      this.ws = null;
      if (ws) ws.close(1000, 'signed out');
      this.onState('idle', {});
    }

    connect() {
      this.retryTimer = null;
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const url = `${scheme}//${location.host}/ws/${encodeURIComponent(this.clientId)}` +
        `?access_token=${encodeURIComponent(app.token || '')}`;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch {
        this.scheduleRetry(null);
        return;
      }
      this.ws = ws;
      this.onState('connecting', { attempt: this.attempt });
      // Each handler first checks that its socket is still the current one: a replaced socket's late events
      // must not touch the state of its successor.
      ws.addEventListener('open', () => {
        if (ws !== this.ws) return;
        this.onState('open', {});
        for (const text of this.subscriptions.values()) ws.send(text);
        // A relay that accepts and drops at once is not hammered: only a connection that stays up resets.
        this.stableTimer = setTimeout(() => { this.attempt = 0; }, STABLE_MS);
      });
      ws.addEventListener('message', (event) => {
        if (ws === this.ws) this.onMessage(event.data);
      });
      ws.addEventListener('close', (event) => {
        if (ws !== this.ws) return;
        this.ws = null;
        clearTimeout(this.stableTimer);
        if (this.running) this.scheduleRetry(event);
      });
      // An error is always followed by a close event, which carries what is known.
    }

    scheduleRetry(closeEvent) {
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
      // ±20 % jitter, so that many dashboards cut off together do not come back in step.
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      this.attempt += 1;
      this.onState('waiting', { delay, code: closeEvent && closeEvent.code, reason: closeEvent && closeEvent.reason });
      this.retryTimer = setTimeout(() => this.connect(), delay);
    }

    send(text) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    }

    /** Makes `wanted` (topic → filters) the connection's subscriptions, sending only what changed. */
    setSubscriptions(wanted) {
      for (const topic of [...this.subscriptions.keys()]) {
        if (!(topic in wanted)) this.unsubscribe(topic);
      }
      for (const [topic, filters] of Object.entries(wanted)) this.subscribe(topic, filters);
    }

    subscribe(topic, filters) {
      const text = JSON.stringify({ type: 'subscribe', topic, filters });
      if (this.subscriptions.get(topic) === text) return;
      this.subscriptions.set(topic, text);
      this.send(text);
    }

    unsubscribe(topic) {
      if (!this.subscriptions.delete(topic)) return;
      this.send(JSON.stringify({ type: 'unsubscribe', topic }));
    }
  }

  /** Every message from the socket: counted, then handed to the mounted view by type. */
  function handleLiveMessage(text) {
    app.liveMessages += 1;
    document.body.dataset.liveMessages = String(app.liveMessages);
    $('#live-count').textContent = String(app.liveMessages);
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    document.body.dataset.lastMessageType = String(message.type);
    const view = app.view;
    switch (message.type) {
      case 'telemetry': {
        const dropped = message.metadata && message.metadata.dropped_messages;
        if (isNumber(dropped) && dropped > 0) {
          app.droppedTelemetry += dropped;
          $('#dropped-count').textContent = String(app.droppedTelemetry);
          $('#dropped').hidden = false;
        }
        if (view && view.onTelemetry) view.onTelemetry(message);
        break;
      }
      case 'fleet_status':
        if (view && view.onFleet) view.onFleet(message);
        break;
      case 'alert':
        if (view && view.onAlert) view.onAlert(message);
        break;
      case 'error': {
        const node = $('#live-error');
        node.textContent = `Live stream refused a request: ${message.code}: ${message.message}`;
        node.dataset.code = String(message.code);
        node.hidden = false;
        break;
      }
      default:
        break;
    }
  }

  function showSocketState(state, info) {
    document.body.dataset.socket = state;
    const node = $('#socket-status');
    node.dataset.state = state;
    const labels = {
      idle: 'offline',
      connecting: 'connecting…',
      open: 'live',
      waiting: `reconnecting in ${Math.ceil((info.delay || 0) / 1000)} s`,
    };
    $('.socket-label', node).textContent = labels[state] || state;
    node.title = state === 'waiting' && info.code ? `Connection closed (${info.code}${info.reason ? `: ${info.reason}` : ''})` : 'Live stream';
  }

  // MARK: - Charts (canvas, drawn by hand)

  /** Samples of one metric in time order, trimmed to a little more than the chart window. */
  class TimeSeries {
    constructor() {
      this.times = [];
      this.values = [];
    }

    add(time, value) {
      if (!isNumber(time) || !isNumber(value)) return;
      // Samples nearly always arrive in order; the rare late one is slotted in, a repeat replaces.
      let index = this.times.length;
      while (index > 0 && this.times[index - 1] > time) index -= 1;
      if (index > 0 && this.times[index - 1] === time) {
        this.values[index - 1] = value;
        return;
      }
      this.times.splice(index, 0, time);
      this.values.splice(index, 0, value);
    }

    trimBefore(time) {
      let count = 0;
      while (count < this.times.length && this.times[count] < time) count += 1;
      if (count > 0) {
        this.times.splice(0, count);
        this.values.splice(0, count);
      }
    }

    get lastTime() {
      return this.times.length ? this.times[this.times.length - 1] : -Infinity;
    }
  }

  function cssColor(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
  }

  /** Sizes the canvas backing store to its CSS box (sharp on high-DPI screens) and clears it. */
  function prepareCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 300;
    const height = canvas.clientHeight || 150;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    return { ctx, width, height };
  }

  /** A round step (1, 2 or 5 × 10ⁿ) giving about `count` intervals over `span`. */
  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    const fraction = raw / power;
    return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  }

  const decimalsFor = (step) => Math.max(0, -Math.floor(Math.log10(step)));

  /** Horizontal grid lines with labels on the left; returns the value → y mapping. */
  function drawValueAxis(ctx, plot, low, high) {
    const step = niceStep(high - low, 4);
    const decimals = decimalsFor(step);
    const y = (value) => plot.bottom - ((value - low) / (high - low)) * (plot.bottom - plot.top);
    ctx.strokeStyle = cssColor('--grid');
    ctx.fillStyle = cssColor('--muted');
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
      const at = Math.round(y(value)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(plot.left, at);
      ctx.lineTo(plot.right, at);
      ctx.stroke();
      ctx.fillText(value.toFixed(decimals), plot.left - 6, at);
    }
    return y;
  }

  function drawPlaceholder(ctx, width, height, text) {
    ctx.fillStyle = cssColor('--muted');
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, width / 2, height / 2);
  }

  /**
   * A line chart of the last `CHART_WINDOW_MS` ending at `end` (ms since the epoch). The canvas gets
   * data-points (samples in the window) and data-last (the newest value) for tests.
   */
  function drawLineChart(canvas, series, { end, color, minSpan }) {
    const { ctx, width, height } = prepareCanvas(canvas);
    const start = end - CHART_WINDOW_MS;
    const plot = { left: 48, right: width - 8, top: 8, bottom: height - 20 };

    // The visible samples, plus the one just before the window so the line enters from the left edge.
    let first = series.times.findIndex((time) => time >= start);
    if (first === -1) first = series.times.length;
    const from = Math.max(0, first - 1);
    let low = Infinity;
    let high = -Infinity;
    for (let index = first; index < series.times.length; index += 1) {
      low = Math.min(low, series.values[index]);
      high = Math.max(high, series.values[index]);
    }
    const visible = series.times.length - first;
    canvas.dataset.points = String(visible);
    canvas.dataset.last = visible ? String(series.values[series.values.length - 1]) : '';

    // Time grid: one line a minute, labelled back from now.
    ctx.strokeStyle = cssColor('--grid');
    ctx.fillStyle = cssColor('--muted');
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const x = (time) => plot.left + ((time - start) / CHART_WINDOW_MS) * (plot.right - plot.left);
    const minuteCount = CHART_WINDOW_MS / 60000;
    // "−4 min" where a minute is wide enough for it, "−4m" on narrow charts.
    const unit = (plot.right - plot.left) / minuteCount >= 48 ? ' min' : 'm';
    for (let minutes = 0; minutes <= minuteCount; minutes += 1) {
      const at = Math.round(x(end - minutes * 60000)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(at, plot.top);
      ctx.lineTo(at, plot.bottom);
      ctx.stroke();
      // The outermost labels are aligned inwards so that they stay inside the canvas.
      ctx.textAlign = minutes === 0 ? 'right' : minutes === minuteCount ? 'left' : 'center';
      ctx.fillText(minutes === 0 ? 'now' : `−${minutes}${unit}`, at, plot.bottom + 5);
    }

    if (!visible) {
      drawPlaceholder(ctx, width, height - 20, 'Waiting for data…');
      return;
    }
    if (high - low < minSpan) {
      const middle = (high + low) / 2;
      low = middle - minSpan / 2;
      high = middle + minSpan / 2;
    }
    const margin = (high - low) * 0.08;
    const y = drawValueAxis(ctx, plot, low - margin, high + margin);

    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top);
    ctx.clip();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (let index = from; index < series.times.length; index += 1) {
      const px = x(series.times[index]);
      const py = y(series.values[index]);
      const broken = index === from || series.times[index] - series.times[index - 1] > GAP_MS;
      if (broken) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
    // The newest sample as a dot, so a single sample is visible too.
    const lastIndex = series.times.length - 1;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x(series.times[lastIndex]), y(series.values[lastIndex]), 2.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
  }

  /**
   * A bar per cell. The bars start at the bottom of a zoomed scale (not at 0 V): a pack's cells differ by
   * millivolts, which a scale from 0 would flatten. The highest and lowest cells are coloured, and the
   * device's cell voltage limits are drawn as dashed lines when they fall inside the scale.
   */
  function drawCellChart(canvas, voltages, limits) {
    const { ctx, width, height } = prepareCanvas(canvas);
    const values = (voltages || []).filter(isNumber);
    canvas.dataset.cells = String(values.length);
    if (!values.length) {
      delete canvas.dataset.min;
      delete canvas.dataset.max;
      drawPlaceholder(ctx, width, height, 'Waiting for cell voltages…');
      return;
    }
    const min = Math.min(...values);
    const max = Math.max(...values);
    canvas.dataset.min = String(min);
    canvas.dataset.max = String(max);
    const margin = Math.max(0.01, (max - min) * 0.25);
    const low = min - margin;
    const high = max + margin;
    const plot = { left: 48, right: width - 8, top: 8, bottom: height - 20 };
    const y = drawValueAxis(ctx, plot, low, high);

    const slot = (plot.right - plot.left) / values.length;
    const gap = slot > 4 ? 1 : 0;
    // Every cell at the highest and at the lowest voltage is marked; none when all are equal.
    const spread = max > min;
    const colours = { bar: cssColor('--bar'), max: cssColor('--bar-max'), min: cssColor('--bar-min') };
    values.forEach((value, index) => {
      ctx.fillStyle = spread && value === max ? colours.max : spread && value === min ? colours.min : colours.bar;
      const top = y(value);
      ctx.fillRect(plot.left + index * slot + gap / 2, top, Math.max(1, slot - gap), plot.bottom - top);
    });

    // Cell numbers along the bottom, about one label per 40 px.
    ctx.fillStyle = cssColor('--muted');
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const every = Math.max(1, Math.round(niceStep(values.length, (plot.right - plot.left) / 40)));
    for (let cell = 1; cell <= values.length; cell += 1) {
      if (cell === 1 || cell % every === 0) ctx.fillText(String(cell), plot.left + (cell - 0.5) * slot, plot.bottom + 5);
    }

    ctx.strokeStyle = cssColor('--limit');
    ctx.setLineDash([4, 3]);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    for (const [label, limit] of [['max', limits && limits.max_cell_voltage], ['min', limits && limits.min_cell_voltage]]) {
      if (!isNumber(limit) || limit < low || limit > high) continue;
      const at = Math.round(y(limit)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(plot.left, at);
      ctx.lineTo(plot.right, at);
      ctx.stroke();
      ctx.fillStyle = cssColor('--limit');
      ctx.fillText(`${label} ${limit} V`, plot.right, at - 2);
    }
    ctx.setLineDash([]);
  }

  // MARK: - Alerts

  /**
   * The alert list of a view (`#alert-list`): one `li[data-alert-id]` per alert with data-severity and
   * data-status, an Acknowledge button (`button[data-action="acknowledge"]`) while it is active, and a button
   * per other action the alert offers. Actions go through POST /alerts/{alert_id}/acknowledge and
   * /alerts/{alert_id}/actions/{action_id}; the answer replaces the item, as later pushed updates do.
   */
  class AlertList {
    constructor(root, { showDevice }) {
      this.list = $('#alert-list', root);
      this.empty = $('#alert-list-empty', root);
      this.showDevice = showDevice;
      /** alert_id → { alert, node } */
      this.items = new Map();
    }

    /** Adds alerts as listed by the relay. Alerts pushed before the list arrived are kept. */
    addAll(alerts) {
      for (const alert of alerts) this.upsert(alert);
      this.updateEmpty();
    }

    /**
     * Adds a new alert in its place (newest first), or replaces a known one in place. A resolved alert leaves
     * the list.
     */
    upsert(alert) {
      const known = this.items.get(alert.alert_id);
      const merged = { ...(known ? known.alert : {}), ...alert };
      // A pushed alert message may carry no status: keep what is known (an acknowledgement made here).
      if (!alert.status) merged.status = (known && known.alert.status) || 'active';
      if (merged.status === 'resolved') {
        if (known) known.node.remove();
        this.items.delete(alert.alert_id);
        this.updateEmpty();
        return;
      }
      const node = this.render(merged);
      if (known) {
        known.node.replaceWith(node);
      } else {
        // Timestamps are RFC 3339 in UTC with milliseconds, so they order as strings.
        const later = Array.from(this.list.children).find((item) => item.dataset.timestamp < String(merged.timestamp));
        this.list.insertBefore(node, later || null);
      }
      this.items.set(alert.alert_id, { alert: merged, node });
      while (this.items.size > MAX_ALERTS) {
        const oldest = this.list.lastElementChild;
        this.items.delete(oldest.dataset.alertId);
        oldest.remove();
      }
      this.updateEmpty();
    }

    updateEmpty() {
      this.empty.hidden = this.items.size > 0;
      this.list.dataset.count = String(this.items.size);
    }

    render(alert) {
      const result = h('span', { class: 'alert-result', 'aria-live': 'polite' });
      const acknowledge = h('button', {
        type: 'button',
        class: 'button small',
        dataset: { action: 'acknowledge' },
        disabled: alert.status !== 'active',
        text: alert.status === 'active' ? 'Acknowledge' : 'Acknowledged',
      });
      acknowledge.addEventListener('click', () => this.acknowledge(alert.alert_id, acknowledge, result));
      // The other actions the alert offers (reduce power, emergency shutdown) send the pack a command through
      // POST /alerts/{alert_id}/actions/{action_id}; a resolved alert offers none. An emergency shutdown asks
      // for a second click.
      const offered = (alert.actions || [])
        .filter((action) => action.action_id !== 'acknowledge')
        .map((action) => {
          const percent = action.parameters && action.parameters.power_reduction_percent;
          const button = h('button', {
            type: 'button',
            class: action.action_id === 'emergency_shutdown' ? 'button small danger' : 'button small',
            dataset: { action: action.action_id },
            disabled: alert.status === 'resolved',
            text: percent !== undefined ? `${action.label} (−${percent} %)` : action.label,
          });
          button.addEventListener('click', () => {
            if (action.action_id === 'emergency_shutdown' && button.dataset.armed !== 'true') {
              button.dataset.armed = 'true';
              button.textContent = 'Confirm shutdown';
              // Unconfirmed for 5 s: back to the first step.
              setTimeout(() => {
                button.dataset.armed = 'false';
                button.textContent = action.label;
              }, 5000);
              return;
            }
            this.act(alert.alert_id, action, button, result);
          });
          return button;
        });
      const taken = (alert.actions_taken || []).filter((record) => record.action_id !== 'acknowledge');
      const history = taken.length
        ? h('span', {
          class: 'muted small',
          dataset: { actionsTaken: String(taken.length) },
          text: taken.map((record) => `${record.action_id.replace(/_/g, ' ')} by ${record.taken_by} at ${format.time(record.taken_at)}`).join('; '),
        })
        : null;
      const data = alert.data || {};
      const acknowledgement = alert.status === 'acknowledged'
        ? h('span', {
          class: 'muted small',
          dataset: { acknowledgedBy: alert.acknowledged_by || '' },
          text: `Acknowledged${alert.acknowledged_by ? ` by ${alert.acknowledged_by}` : ''}${alert.acknowledged_at ? ` at ${format.time(alert.acknowledged_at)}` : ''}`,
        })
        : null;
      const dataset = {
        alertId: alert.alert_id, severity: alert.severity, status: alert.status, deviceId: alert.device_id,
        timestamp: String(alert.timestamp),
      };
      return h('li', { dataset },
        h('div', { class: 'alert-head' },
          h('span', { class: 'badge', dataset: { value: alert.severity }, text: alert.severity }),
          h('span', { class: 'alert-title', text: alert.title }),
          h('span', { class: 'alert-meta' },
            this.showDevice ? h('a', { href: `#/device/${encodeURIComponent(alert.device_id)}`, text: alert.device_id }) : null,
            this.showDevice ? ' · ' : null,
            `${alert.category} · ${format.dateTime(alert.timestamp)}`)),
        h('div', { text: alert.message }),
        data.recommended_action ? h('div', { class: 'muted small', text: `Recommended: ${String(data.recommended_action).replace(/_/g, ' ')}` }) : null,
        h('div', { class: 'alert-actions' }, acknowledge, acknowledgement, ...offered, history, result));
    }

    async act(alertId, action, button, result) {
      button.disabled = true;
      result.textContent = `${action.label}…`;
      delete result.dataset.ok;
      try {
        const { body } = await api('POST', `/alerts/${encodeURIComponent(alertId)}/actions/${encodeURIComponent(action.action_id)}`);
        this.upsert(body);
      } catch (error) {
        result.textContent = error.summary || String(error);
        result.dataset.ok = 'false';
        button.disabled = false;
      }
    }

    async acknowledge(alertId, button, result) {
      button.disabled = true;
      result.textContent = 'Acknowledging…';
      delete result.dataset.ok;
      try {
        const { body } = await api('POST', `/alerts/${encodeURIComponent(alertId)}/acknowledge`);
        this.upsert(body);
      } catch (error) {
        result.textContent = error.summary || String(error);
        result.dataset.ok = 'false';
        button.disabled = false;
      }
    }
  }

  /**
   * The unresolved alerts matching `filter` (a query string): the active ones and those already acknowledged,
   * whose alarm is still on the pack and whose actions are still on offer.
   */
  async function openAlerts(filter) {
    const [active, acknowledged] = await Promise.all(['active', 'acknowledged'].map((status) =>
      api('GET', `/alerts?${filter}&status=${status}&limit=${MAX_ALERTS}`)));
    return [...active.body.alerts, ...acknowledged.body.alerts];
  }

  // MARK: - Fleet view

  const SUMMARY_FORMATS = {
    total_devices: (value) => format.fixed(value, 0),
    online_devices: (value) => format.fixed(value, 0),
    average_soc: format.percent,
    average_soh: format.percent,
    total_power: format.power,
    available_capacity: format.energy,
    total_capacity: format.energy,
    active_alarms: (value) => format.fixed(value, 0),
    acknowledged_alarms: (value) => format.fixed(value ?? 0, 0),
  };

  /** Briefly highlights a table row that a live message changed. */
  function flash(row) {
    if (row.animate) row.animate([{ backgroundColor: 'rgba(77, 142, 232, 0.22)' }, { backgroundColor: 'transparent' }], 800);
  }

  function fleetView(siteId) {
    const root = mount(cloneTemplate('tpl-fleet'));
    document.body.dataset.view = 'fleet';
    document.body.dataset.siteId = siteId;
    delete document.body.dataset.deviceId;
    setCrumbs(['Fleet', null], [siteId, `#/fleet/${encodeURIComponent(siteId)}`]);
    setLive(root, 'site_id', siteId, siteId);

    const picker = $('#site-picker', root);
    const sites = app.sites.includes(siteId) ? app.sites : [...app.sites, siteId].sort();
    picker.replaceChildren(...sites.map((site) => h('option', { value: site, text: site })));
    picker.value = siteId;
    picker.addEventListener('change', () => { location.hash = `#/fleet/${encodeURIComponent(picker.value)}`; });

    const tbody = $('#device-table tbody', root);
    const rows = new Map();
    const alerts = new AlertList(root, { showDevice: true });
    let disposed = false;

    function setCell(row, field, text, value) {
      const cell = $(`[data-field="${field}"]`, row);
      if (cell.textContent !== text) cell.textContent = text;
      cell.dataset.value = value === undefined || value === null ? '' : String(value);
    }

    /** The row of a device, created (in device id order) the first time the device is seen. */
    function rowFor(deviceId) {
      let row = rows.get(deviceId);
      if (row) return row;
      const device = app.devices.get(deviceId);
      const open = () => { location.hash = `#/device/${encodeURIComponent(deviceId)}`; };
      row = h('tr', { dataset: { deviceId }, onclick: open },
        h('td', { dataset: { field: 'device' } },
          h('a', { href: `#/device/${encodeURIComponent(deviceId)}`, text: device ? device.name : deviceId }),
          device ? h('div', { class: 'muted small', text: deviceId }) : null),
        h('td', { dataset: { field: 'status-cell' } }, h('span', { class: 'badge', dataset: { field: 'status', value: '' }, text: DASH })),
        h('td', { class: 'num', dataset: { field: 'soc' }, text: DASH }),
        h('td', { class: 'num', dataset: { field: 'power' }, text: DASH }),
        h('td', { class: 'num', dataset: { field: 'alarms' }, text: DASH }),
        h('td', { dataset: { field: 'flags' }, text: '' }),
        h('td', { class: 'muted small', dataset: { field: 'updated' }, text: DASH }));
      const next = [...rows.keys()].sort().find((id) => id > deviceId);
      tbody.insertBefore(row, next ? rows.get(next) : null);
      rows.set(deviceId, row);
      $('#device-table-empty', root).hidden = true;
      return row;
    }

    function setStatus(row, status) {
      setCell(row, 'status', status || DASH, status);
    }

    // The first picture, from the device list: every device of the site, even one never heard from.
    for (const device of app.devices.values()) {
      if (device.site_id !== siteId) continue;
      const row = rowFor(device.device_id);
      const current = device.current_status || {};
      setStatus(row, current.status);
      setCell(row, 'soc', format.percent(current.current_soc), current.current_soc);
      setCell(row, 'flags', (current.active_alarms || []).join(', '), (current.active_alarms || []).join(','));
      if (current.last_seen) setCell(row, 'updated', format.time(current.last_seen), current.last_seen);
    }
    $('#device-table-empty', root).hidden = rows.size > 0;

    function applyFleet(status) {
      if (disposed || status.site_id !== siteId) return;
      const summary = status.summary || {};
      for (const [key, render] of Object.entries(SUMMARY_FORMATS)) setLive(root, `fleet.${key}`, render(summary[key]), summary[key]);
      setLive(root, 'fleet_updated', `updated ${format.time(status.timestamp)}`, status.timestamp);
      const optimization = status.optimization;
      $('#optimization', root).hidden = !optimization;
      if (optimization) {
        setLive(root, 'optimization.active_policy', optimization.active_policy, optimization.active_policy);
        setLive(root, 'optimization.performance_score', format.fixed(optimization.performance_score, 2), optimization.performance_score);
        setLive(root, 'optimization.next_update', format.time(optimization.next_update), optimization.next_update);
      }
      for (const device of status.devices || []) {
        const row = rowFor(device.device_id);
        setStatus(row, device.status);
        if (isNumber(device.soc)) setCell(row, 'soc', format.percent(device.soc), device.soc);
        if (isNumber(device.power)) setCell(row, 'power', format.power(device.power), device.power);
        setCell(row, 'alarms', format.fixed(device.alarm_count, 0), device.alarm_count);
      }
    }

    function onTelemetry(message) {
      if (disposed || message.site_id !== siteId) return;
      const row = rowFor(message.device_id);
      const data = message.data || {};
      if (isNumber(data.soc)) setCell(row, 'soc', format.percent(data.soc), data.soc);
      if (isNumber(data.power)) setCell(row, 'power', format.power(data.power), data.power);
      const flags = data.alarm_flags || [];
      setCell(row, 'flags', flags.join(', '), flags.join(','));
      setCell(row, 'updated', format.time(message.timestamp), message.timestamp);
      row.dataset.liveUpdates = String(Number(row.dataset.liveUpdates || 0) + 1);
      flash(row);
    }

    function onAlert(alert) {
      if (!disposed && alert.site_id === siteId) alerts.upsert(alert);
    }

    const path = encodeURIComponent(siteId);
    api('GET', `/fleet/${path}`)
      .then(({ body }) => applyFleet(body))
      .catch((error) => { if (!disposed && error.status !== 401) showBanner(`Fleet status of ${siteId}: ${error.summary}`); });
    openAlerts(`site_id=${path}`)
      .then((list) => { if (!disposed) alerts.addAll(list); })
      .catch((error) => { if (!disposed && error.status !== 401) showBanner(`Alerts of ${siteId}: ${error.summary}`); });

    return {
      subscriptions: {
        fleet_status: { site_id: siteId, update_interval: FLEET_INTERVAL_MS },
        // Only what the table shows; alarm_flags always come along.
        telemetry: { site_id: siteId, metrics: ['soc', 'power'], sample_rate: SAMPLE_RATE },
        alerts: { site_id: siteId },
      },
      onFleet: applyFleet,
      onTelemetry,
      onAlert,
      dispose() { disposed = true; },
    };
  }

  // MARK: - Device view

  const LIVE_FORMATS = {
    voltage: (value) => format.fixed(value, 1, 'V'),
    current: (value) => format.fixed(value, 1, 'A'),
    power: format.power,
    temperature: (value) => format.fixed(value, 1, '°C'),
    soc: format.percent,
    soh: format.percent,
  };

  const COMMAND_LABELS = {
    start_charge: 'Start charge',
    stop_charge: 'Stop charge',
    start_discharge: 'Start discharge',
    stop_discharge: 'Stop discharge',
    emergency_shutdown: 'Emergency shutdown',
  };

  function deviceView(deviceId) {
    const root = mount(cloneTemplate('tpl-device'));
    document.body.dataset.view = 'device';
    document.body.dataset.deviceId = deviceId;
    let device = app.devices.get(deviceId) || null;
    let disposed = false;
    let latestCells = null;
    const series = Object.fromEntries(SERIES_METRICS.map((metric) => [metric, new TimeSeries()]));
    const alerts = new AlertList(root, { showDevice: false });
    setLive(root, 'device_id', deviceId, deviceId);

    function applyDevice(record) {
      device = record;
      document.body.dataset.siteId = record.site_id;
      setCrumbs(['Fleet', null], [record.site_id, `#/fleet/${encodeURIComponent(record.site_id)}`], [record.name || deviceId, null]);
      setLive(root, 'device_name', record.name || deviceId, record.name);
      setLive(root, 'chemistry', record.chemistry || '', record.chemistry);
      setLive(root, 'device_site', record.site_id, record.site_id);
      $('[data-live="device_site"]', root).href = `#/fleet/${encodeURIComponent(record.site_id)}`;
      const current = record.current_status || {};
      setLive(root, 'status', current.status || DASH, current.status);
      // Until the first live sample, the stored status is the best there is.
      if ($('[data-live="soc"]', root).dataset.source !== 'live') {
        setLive(root, 'soc', format.percent(current.current_soc), current.current_soc);
        setLive(root, 'soh', format.percent(current.current_soh), current.current_soh);
        setFlags(current.active_alarms || []);
      }
    }

    function setFlags(flags) {
      setLive(root, 'alarm_flags', flags.length ? flags.join(', ') : 'none', flags.join(','));
      $('[data-live="alarm_flags"]', root).dataset.count = String(flags.length);
    }

    function onTelemetry(message) {
      if (disposed || message.device_id !== deviceId) return;
      const data = message.data || {};
      const time = Date.parse(message.timestamp);
      for (const [metric, render] of Object.entries(LIVE_FORMATS)) {
        if (!isNumber(data[metric])) continue;
        setLive(root, metric, render(data[metric]), data[metric]);
      }
      $('[data-live="soc"]', root).dataset.source = 'live';
      for (const metric of SERIES_METRICS) series[metric].add(time, data[metric]);
      setFlags(data.alarm_flags || []);
      setLive(root, 'sample_time', format.time(message.timestamp), message.timestamp);
      const metadata = message.metadata || {};
      setLive(root, 'latency_ms', format.fixed(metadata.latency_ms, 0, 'ms'), metadata.latency_ms);
      setLive(root, 'data_quality', isNumber(metadata.data_quality) ? `${(metadata.data_quality * 100).toFixed(0)} %` : DASH, metadata.data_quality);
      if (Array.isArray(data.cell_voltages)) {
        latestCells = data.cell_voltages;
        const cells = latestCells.filter(isNumber);
        if (cells.length) {
          const min = Math.min(...cells);
          const max = Math.max(...cells);
          setLive(root, 'cell_voltage_min', format.fixed(min, 3, 'V'), min);
          setLive(root, 'cell_voltage_max', format.fixed(max, 3, 'V'), max);
          setLive(root, 'cell_voltage_spread', format.fixed((max - min) * 1000, 0, 'mV'), (max - min) * 1000);
        }
      }
      if (Array.isArray(data.cell_temperatures)) {
        const temperatures = data.cell_temperatures.filter(isNumber);
        if (temperatures.length) {
          const hottest = Math.max(...temperatures);
          setLive(root, 'cell_temperature_max', format.fixed(hottest, 1, '°C'), hottest);
        }
      }
      scheduleDraw();
    }

    function onFleet(status) {
      if (disposed || !device || status.site_id !== device.site_id) return;
      const entry = (status.devices || []).find((candidate) => candidate.device_id === deviceId);
      if (entry) setLive(root, 'status', entry.status, entry.status);
    }

    function onAlert(alert) {
      if (!disposed && alert.device_id === deviceId) alerts.upsert(alert);
    }

    // Drawing: at most once a frame however many samples arrive, and once a second anyway so the time
    // window keeps moving while a pack is quiet. The timer fallback covers hidden tabs, where frames stop.
    let drawPending = false;
    function scheduleDraw() {
      if (drawPending) return;
      drawPending = true;
      const run = () => {
        if (!drawPending || disposed) return;
        drawPending = false;
        draw();
      };
      requestAnimationFrame(run);
      setTimeout(run, 250);
    }

    function draw() {
      const newest = Math.max(...SERIES_METRICS.map((metric) => series[metric].lastTime));
      // The right edge is now, or the newest sample if the pack's clock runs ahead of this browser's.
      const end = Math.max(Date.now(), newest);
      for (const metric of SERIES_METRICS) {
        series[metric].trimBefore(end - CHART_WINDOW_MS - GAP_MS);
        drawLineChart($(`#chart-${metric}`, root), series[metric], {
          end,
          color: cssColor(`--series-${metric}`),
          minSpan: MIN_SPAN[metric],
        });
      }
      drawCellChart($('#cell-chart', root), latestCells, device && device.safety_constraints);
    }

    const ticker = setInterval(scheduleDraw, 1000);
    window.addEventListener('resize', scheduleDraw);
    scheduleDraw();

    // MARK: Commands

    const panel = $('#command-panel', root);
    const result = $('#command-result', root);
    const history = $('#command-history', root);
    const confirmBox = $('#shutdown-confirm', root);

    function setBusy(busy) {
      for (const button of $$('button[data-command], button[data-command-confirm]', panel)) button.disabled = busy;
      panel.dataset.busy = String(busy);
    }

    function showResult(text, { status, ok, command, commandId }) {
      result.textContent = text;
      result.dataset.status = String(status);
      result.dataset.ok = String(ok);
      result.dataset.command = command;
      if (commandId) result.dataset.commandId = commandId;
      else delete result.dataset.commandId;
      history.prepend(h('li', { dataset: { status: String(status), command }, text: `${format.time(Date.now())} ${text}` }));
      while (history.children.length > 8) history.lastElementChild.remove();
    }

    async function sendCommand(commandType) {
      const label = COMMAND_LABELS[commandType] || commandType;
      const body = { command_type: commandType };
      const parameters = {};
      if (commandType === 'start_charge' || commandType === 'start_discharge') {
        const text = $('#command-target-power', root).value.trim();
        if (text !== '') {
          const watts = Number(text);
          if (!Number.isFinite(watts) || watts < 0) {
            showResult(`${label}: target power must be a number of W, 0 or more`, { status: 'invalid', ok: false, command: commandType });
            return;
          }
          parameters.target_power = watts;
        }
      }
      if (commandType === 'emergency_shutdown') parameters.reason = 'operator_initiated';
      if (Object.keys(parameters).length) body.parameters = parameters;

      setBusy(true);
      result.textContent = `${label}: sending…`;
      result.dataset.status = 'pending';
      delete result.dataset.ok;
      try {
        const { status, body: accepted } = await api('POST', `/commands/${encodeURIComponent(deviceId)}`, body);
        showResult(`${label}: ${status} Accepted · ${accepted.command_id} · ${accepted.status}`, {
          status, ok: true, command: commandType, commandId: accepted.command_id,
        });
      } catch (error) {
        showResult(`${label}: ${error.summary || String(error)}`, { status: error.status || 0, ok: false, command: commandType });
      } finally {
        setBusy(false);
      }
    }

    for (const button of $$('button[data-command]', panel)) {
      const commandType = button.dataset.command;
      button.addEventListener('click', () => {
        // The emergency shutdown asks first, inline rather than with window.confirm, which blocks the page.
        if (commandType === 'emergency_shutdown') {
          confirmBox.hidden = false;
          $('#shutdown-confirm-yes', root).focus();
          return;
        }
        sendCommand(commandType);
      });
    }
    $('#shutdown-confirm-yes', root).addEventListener('click', () => {
      confirmBox.hidden = true;
      sendCommand('emergency_shutdown');
    });
    $('#shutdown-confirm-no', root).addEventListener('click', () => { confirmBox.hidden = true; });

    // MARK: Loading

    if (device) applyDevice(device);
    else setCrumbs(['Fleet', null], [deviceId, null]);

    const path = encodeURIComponent(deviceId);
    api('GET', `/devices/${path}`)
      .then(({ body }) => {
        if (disposed) return;
        applyDevice(body);
        // The device's site is known now: follow its fleet status for the live status badge.
        app.socket.subscribe('fleet_status', { site_id: body.site_id, update_interval: DEVICE_FLEET_INTERVAL_MS });
        scheduleDraw();
      })
      .catch((error) => { if (!disposed && error.status !== 401) showBanner(`Device ${deviceId}: ${error.summary}`); });

    loadHistory().catch((error) => {
      if (!disposed && error.status !== 401 && error.status !== 404) showBanner(`Telemetry history of ${deviceId}: ${error.summary}`);
    });

    /** Fills the charts with the stored last five minutes: raw samples, or minute rollups if raw is refused. */
    async function loadHistory() {
      const start = new Date(Date.now() - CHART_WINDOW_MS).toISOString();
      const query = `start_time=${encodeURIComponent(start)}&metrics=${SERIES_METRICS.join(',')}`;
      let response;
      try {
        response = await api('GET', `/telemetry/${path}?${query}&resolution=raw`);
      } catch (error) {
        if (error.status !== 400) throw error;
        response = await api('GET', `/telemetry/${path}?${query}&resolution=minute`);
      }
      if (disposed) return;
      const metrics = response.body.metrics || {};
      const times = (metrics.timestamps || []).map((timestamp) => Date.parse(timestamp));
      for (const metric of SERIES_METRICS) {
        const values = metrics[metric] || [];
        times.forEach((time, index) => series[metric].add(time, values[index]));
      }
      scheduleDraw();
    }

    openAlerts(`device_id=${path}`)
      .then((list) => { if (!disposed) alerts.addAll(list); })
      .catch((error) => { if (!disposed && error.status !== 401) showBanner(`Alerts of ${deviceId}: ${error.summary}`); });

    return {
      subscriptions: {
        // Every metric, with the cell arrays, for this pack only.
        telemetry: { device_ids: [deviceId], sample_rate: SAMPLE_RATE },
        alerts: { device_ids: [deviceId] },
        // The live status badge follows the site's fleet status; subscribed once the site is known.
        ...(device ? { fleet_status: { site_id: device.site_id, update_interval: DEVICE_FLEET_INTERVAL_MS } } : {}),
      },
      onTelemetry,
      onFleet,
      onAlert,
      dispose() {
        disposed = true;
        clearInterval(ticker);
        window.removeEventListener('resize', scheduleDraw);
      },
    };
  }

  // MARK: - Sign-in and the empty state

  function showLogin(message) {
    disposeView();
    app.socket.stop();
    app.devicesLoaded = false;
    document.body.dataset.view = 'login';
    $('#sign-out').hidden = true;
    setCrumbs();
    hideBanner();
    const root = mount(cloneTemplate('tpl-login'));
    const error = $('#token-error', root);
    if (message) {
      error.textContent = message;
      error.hidden = false;
    }
    const input = $('#token-input', root);
    input.focus();
    $('#token-form', root).addEventListener('submit', (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      storeToken(token);
      route();
    });
  }

  /** The session is over (401, or signed out): forget the token and ask for one. */
  function endSession(message) {
    if (!app.token) return;
    storeToken(null);
    showLogin(message);
  }

  function showEmpty() {
    disposeView();
    document.body.dataset.view = 'empty';
    setCrumbs(['Fleet', null]);
    mount(h('section', { class: 'card', id: 'no-devices' },
      h('h1', { text: 'No devices' }),
      h('p', { class: 'muted', text: 'These credentials see no devices. Register a pack, or sign in with a token for another site.' })));
  }

  // MARK: - Routing

  function disposeView() {
    if (app.view) app.view.dispose();
    app.view = null;
  }

  function parseRoute() {
    const [kind, raw] = location.hash.replace(/^#\/?/, '').split('/');
    let id = '';
    try {
      id = raw ? decodeURIComponent(raw) : '';
    } catch {
      id = '';
    }
    if ((kind === 'fleet' || kind === 'device') && id) return { kind, id };
    return { kind: 'home', id: '' };
  }

  async function route() {
    const seq = ++app.routeSeq;
    if (!app.token) {
      showLogin();
      return;
    }
    hideBanner();
    $('#live-error').hidden = true;
    $('#sign-out').hidden = false;
    const target = parseRoute();
    // The fleet view builds its table and site picker from the device list: fetch it fresh for those.
    if (target.kind !== 'device' || !app.devicesLoaded) {
      try {
        await loadDevices();
      } catch (error) {
        if (error.status === 401 || seq !== app.routeSeq) return;
        showBanner(`Device list: ${error.summary}`);
        if (target.kind !== 'device') return;
      }
    }
    if (seq !== app.routeSeq || !app.token) return;

    if (target.kind === 'home') {
      if (!app.sites.length) {
        showEmpty();
        app.socket.setSubscriptions({});
        app.socket.start();
        return;
      }
      // Replacing the hash fires hashchange, which routes again to the fleet.
      location.replace(`#/fleet/${encodeURIComponent(app.sites[0])}`);
      return;
    }

    disposeView();
    app.view = target.kind === 'fleet' ? fleetView(target.id) : deviceView(target.id);
    app.socket.setSubscriptions(app.view.subscriptions);
    app.socket.start();
  }

  // MARK: - Start

  function start() {
    app.socket = new LiveConnection({ onMessage: handleLiveMessage, onState: showSocketState });
    adoptTokenFromAddress();
    app.token = app.token || readStoredToken();
    $('#sign-out').addEventListener('click', () => endSession('Signed out.'));
    window.addEventListener('hashchange', route);
    route();
  }

  start();
})();
