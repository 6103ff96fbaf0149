#!/usr/bin/env python3
"""Loads the relay's dashboard in headless Chromium and checks what it renders
(Tests/IntegrationTests/DashboardBrowserTests.swift).

    dashboard_check.py URL DEVICE_ID SCREENSHOT.png [--timeout 90] [--min-live-messages 10]
                       [--expect-devices N] [--fleet-screenshot FLEET.png] [--alert-action ACTION]
                       [--chromium PATH]

URL is the dashboard with its token as the page takes it, e.g.
http://127.0.0.1:8080/dashboard/?access_token=pbk_… (the page moves the token into sessionStorage and
removes it from the address bar).

Why not `chromium --headless --dump-dom`: it captures the page before its scripts have fetched anything or
opened the socket. This drives Chromium through the DevTools protocol instead (standard library only: the
protocol's WebSocket client is below) and waits, with one deadline for the whole check, for conditions
read from the page's DOM, polled every 100 ms:

  1. the fleet view: the device table lists DEVICE_ID (and N rows, with --expect-devices), every row with a
     SoC and a power value that came from the live socket, the summary tiles filled in, the socket open;
  2. DEVICE_ID's page, opened by clicking its row's link: SoC, voltage, current and temperature showing
     numbers from live telemetry, the cell-voltage chart drawn with a bar per cell (counted from the canvas
     pixels, not only its data-cells attribute), the line charts holding samples, the socket open and at
     least --min-live-messages live messages received;
  3. with --alert-action acknowledge|reduce_power, an operator's action on an alert of DEVICE_ID: the first
     alert in the page's list whose button for that action is enabled (waited for, so it may arrive by the
     socket too) is clicked with the mouse, as a person would (it must be the topmost element at its centre);
     then the item must be re-rendered from the relay's answer with data-status="acknowledged" and who
     acknowledged it, and for reduce_power with one more action in `[data-actions-taken]`. An error shown in
     the item's `.alert-result` (data-ok="false"), or the alert leaving the list, fails at once;
  4. a PNG screenshot of the whole device page (valid signature and header, larger than a blank page), taken
     after the alert action, if any, so it shows the alert as it then stands.

Prints one JSON object on stdout: {"ok": true, "fleet": {...}, "device": {...}, "alert": {...},
"screenshot": {...}, "console": [...]} with the values found in the DOM (text as shown and the raw number in
data-value; "alert" only with --alert-action: the alert's id, the action, its status before and after, and
the texts the item shows). On failure it prints {"ok": false, "error": "...", "last_state": {...},
"console": [...]}, says why on stderr, and exits 1 (2 when Chromium cannot be started). A JavaScript
exception, a console.error and a browser log entry at error level (a failed request, a refused socket) all
fail the check. Chromium and its temporary profile are removed on every way out, SIGTERM and SIGINT included.
"""

import argparse
import base64
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

POLL_SECONDS = 0.1
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class CheckFailed(Exception):
    """The page did not reach a condition in time, or showed an error."""

    def __init__(self, message, state=None):
        super().__init__(message)
        self.state = state


class BrowserUnavailable(Exception):
    """Chromium is missing or did not come up."""


# MARK: - A minimal WebSocket client (RFC 6455), enough for the DevTools protocol


class WebSocket:
    def __init__(self, url, timeout):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "ws":
            raise BrowserUnavailable(f"unexpected DevTools address {url}")
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        # No Origin header: Chromium refuses DevTools connections from web origins it was not told to allow.
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise BrowserUnavailable(f"DevTools refused the WebSocket: {lines[0]}")
        expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        accept = [line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("sec-websocket-accept:")]
        if accept != [expected]:
            raise BrowserUnavailable("DevTools answered the WebSocket handshake with a wrong Sec-WebSocket-Accept")

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("DevTools closed the connection")
        self.buffer += chunk

    def _read(self, count):
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send_frame(self, opcode, payload):
        # Client frames are always masked.
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def receive_text(self, timeout):
        """The next text message, or None if none arrives within `timeout` seconds."""
        self.sock.settimeout(max(timeout, 0.001))
        message = b""
        try:
            while True:
                first, second = self._read(2)
                opcode, final = first & 0x0F, first & 0x80
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", self._read(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", self._read(8))
                mask = self._read(4) if second & 0x80 else None
                payload = self._read(length)
                if mask:
                    payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
                if opcode == 0x8:
                    raise ConnectionError("DevTools closed the WebSocket")
                if opcode == 0x9:
                    self._send_frame(0xA, payload)
                    continue
                if opcode in (0x0, 0x1, 0x2):
                    message += payload
                    if final:
                        return message.decode()
        except socket.timeout:
            if message:
                raise ConnectionError("DevTools stopped in the middle of a message")
            return None

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


# MARK: - DevTools protocol session on one page


class DevTools:
    def __init__(self, websocket_url, timeout):
        self.ws = WebSocket(websocket_url, timeout)
        self.next_id = 0
        self.console = []

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        call_id = self.next_id
        self.ws.send_text(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CheckFailed(f"DevTools did not answer {method} within {timeout} s")
            text = self.ws.receive_text(remaining)
            if text is None:
                continue
            message = json.loads(text)
            if message.get("id") == call_id:
                if "error" in message:
                    raise CheckFailed(f"DevTools {method} failed: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def pump(self, seconds):
        """Handles the events that arrive within `seconds` (the pause between two polls)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            text = self.ws.receive_text(remaining)
            if text is None:
                return
            self._event(json.loads(text))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = (details.get("exception") or {}).get("description") or details.get("text")
            raise CheckFailed(f"evaluating the check's own expression failed: {description}")
        return result["result"].get("value")

    def _event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = (details.get("exception") or {}).get("description") or details.get("text", "")
            where = f"{details.get('url', '')}:{details.get('lineNumber', -1) + 1}:{details.get('columnNumber', -1) + 1}"
            self.console.append({"source": "exception", "level": "error", "text": description, "where": where})
        elif method == "Runtime.consoleAPICalled":
            parts = [arg.get("value", arg.get("description", "")) for arg in params.get("args", [])]
            level = {"warning": "warning", "error": "error", "assert": "error"}.get(params.get("type"), "info")
            self.console.append({"source": "console", "level": level, "text": " ".join(str(part) for part in parts)})
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            level = entry.get("level", "info")
            self.console.append({
                "source": f"log.{entry.get('source', '')}", "level": "warning" if level == "warning" else level,
                "text": entry.get("text", ""), "where": entry.get("url", ""),
            })

    def errors(self):
        return [entry for entry in self.console if entry["level"] == "error"]

    def close(self):
        self.ws.close()


# MARK: - Chromium


class Chromium:
    """Headless Chromium on a free DevTools port with a throw-away profile; `close()` removes both."""

    def __init__(self, executable, deadline):
        self.profile = tempfile.mkdtemp(prefix="pulsebms-chromium-")
        self.scratch = None
        self.process = None
        log_path = os.path.join(self.profile, "chromium.log")
        self.log = open(log_path, "wb")
        arguments = [
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--mute-audio", "--hide-scrollbars", "--force-color-profile=srgb",
            "--window-size=1280,1000", "--lang=en-US", "about:blank",
        ]
        # Its temporary files (the singleton socket folder among them) go in a folder of their own, removed with
        # the profile. It is short and under /tmp whatever TMPDIR says: a UNIX socket path must fit in 108 bytes.
        self.scratch = tempfile.mkdtemp(prefix="pbc-", dir="/tmp")
        environment = {**os.environ, "TMPDIR": self.scratch}
        try:
            self.process = subprocess.Popen(
                arguments, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=environment,
                # Its own process group, so that close() stops the renderers and helpers too; and SIGTERM if
                # this script dies without cleaning up (SIGKILL by a test's guard).
                start_new_session=True, preexec_fn=_terminate_with_parent)
        except OSError as error:
            self.close()
            raise BrowserUnavailable(f"cannot start {executable}: {error}") from error
        try:
            self.port = self._wait_for_port(deadline)
        except BaseException:
            self.close()
            raise

    def _wait_for_port(self, deadline):
        # Chromium writes the port it chose into DevToolsActivePort once it listens.
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        while True:
            if self.process.poll() is not None:
                raise BrowserUnavailable(f"chromium exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with open(port_file) as handle:
                    lines = handle.read().split("\n")
                if len(lines) >= 2 and lines[0].isdigit():
                    return int(lines[0])
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise BrowserUnavailable(f"chromium did not open its DevTools port in time: {self.log_tail()}")
            time.sleep(POLL_SECONDS)

    def page_websocket_url(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as response:
            targets = json.load(response)
        pages = [target for target in targets if target.get("type") == "page" and target.get("webSocketDebuggerUrl")]
        if not pages:
            raise BrowserUnavailable(f"chromium has no page target: {targets}")
        return pages[0]["webSocketDebuggerUrl"]

    def log_tail(self):
        try:
            self.log.flush()
            with open(self.log.name, "rb") as handle:
                return handle.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        if self.process is not None and self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.process is not None:
            # Helpers left in the group after the browser itself exited.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _terminate_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop_on_signal(signum, _frame):
    # Turns SIGTERM into an exception, so that the `finally` blocks close Chromium and remove its profile.
    raise SystemExit(f"dashboard_check.py: stopped by signal {signum}")


# MARK: - What the page shows

# Every expression returns plain JSON. Text is what a person sees; `value` the raw number the page keeps in
# data-value (null when there is none).
COMMON_JS = r"""
// Right after navigating, the new document may have no body yet.
if (!document.body || !document.getElementById('view')) return { view: 'loading', live_messages: 0 };
const body = document.body;
const text = (node) => (node ? node.textContent.trim() : null);
const value = (node) => {
  if (!node || node.dataset.value === undefined || node.dataset.value === '') return null;
  const number = Number(node.dataset.value);
  return Number.isFinite(number) ? number : node.dataset.value;
};
const shown = (id) => { const node = document.getElementById(id); return node && !node.hidden ? text(node) : null; };
const common = {
  view: body.dataset.view,
  socket: body.dataset.socket,
  live_messages: Number(body.dataset.liveMessages || 0),
  live_count_text: text(document.getElementById('live-count')),
  banner: shown('banner'),
  live_error: shown('live-error'),
  login_error: shown('token-error'),
  token_in_address: location.search.includes('access_token'),
  hash: location.hash,
};
"""

FLEET_JS = "(() => {" + COMMON_JS + r"""
const rows = Array.from(document.querySelectorAll('#device-table tbody tr')).map((row) => {
  const cell = (field) => row.querySelector(`[data-field="${field}"]`);
  return {
    device_id: row.dataset.deviceId,
    name: text(row.querySelector('[data-field="device"] a')),
    status: text(cell('status')),
    soc_text: text(cell('soc')), soc: value(cell('soc')),
    power_text: text(cell('power')), power: value(cell('power')),
    alarms_text: text(cell('alarms')),
    updated_text: text(cell('updated')),
    live_updates: Number(row.dataset.liveUpdates || 0),
  };
});
const tiles = {};
for (const node of document.querySelectorAll('[data-live^="fleet."]')) {
  tiles[node.dataset.live.slice('fleet.'.length)] = { text: text(node), value: value(node) };
}
return { ...common, site_id: body.dataset.siteId || null, rows, tiles };
})()"""

DEVICE_JS = "(() => {" + COMMON_JS + r"""
const live = (name) => document.querySelector(`#view [data-live="${name}"]`);
const tile = (name) => ({ text: text(live(name)), value: value(live(name)) });
const chart = document.getElementById('cell-chart');

// Bars counted from the pixels: one row just above the plot's bottom edge (20 CSS px above the canvas
// bottom) crosses every bar; count the runs of opaque pixels in one of the three bar colours.
function drawnBars(canvas) {
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const ratio = canvas.width / (canvas.clientWidth || canvas.width);
  const probe = document.createElement('canvas');
  probe.width = 1;
  probe.height = 1;
  const probeContext = probe.getContext('2d', { willReadFrequently: true });
  const rgb = (name) => {
    probeContext.clearRect(0, 0, 1, 1);
    probeContext.fillStyle = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
    probeContext.fillRect(0, 0, 1, 1);
    return Array.from(probeContext.getImageData(0, 0, 1, 1).data.slice(0, 3));
  };
  const colours = ['--bar', '--bar-max', '--bar-min'].map(rgb);
  // The row is copied into a canvas of this check's own, so the page's canvas is never read back.
  const y = Math.max(0, Math.floor(canvas.height - 23 * ratio));
  const strip = document.createElement('canvas');
  strip.width = canvas.width;
  strip.height = 1;
  const stripContext = strip.getContext('2d', { willReadFrequently: true });
  stripContext.drawImage(canvas, 0, y, canvas.width, 1, 0, 0, canvas.width, 1);
  const pixels = stripContext.getImageData(0, 0, canvas.width, 1).data;
  let runs = 0;
  let inside = false;
  for (let x = 0; x < canvas.width; x += 1) {
    const at = x * 4;
    const match = pixels[at + 3] > 200 && colours.some((c) =>
      Math.abs(c[0] - pixels[at]) <= 8 && Math.abs(c[1] - pixels[at + 1]) <= 8 && Math.abs(c[2] - pixels[at + 2]) <= 8);
    if (match && !inside) runs += 1;
    inside = match;
  }
  return runs;
}

const points = {};
for (const metric of ['voltage', 'current', 'soc', 'temperature']) {
  const canvas = document.getElementById(`chart-${metric}`);
  points[metric] = canvas ? Number(canvas.dataset.points || 0) : 0;
}
return {
  ...common,
  device_id: body.dataset.deviceId || null,
  device_name: text(live('device_name')),
  chemistry: text(live('chemistry')),
  site_id: text(live('device_site')),
  status: text(live('status')),
  soc_source: live('soc') ? live('soc').dataset.source || null : null,
  soc: tile('soc'), soh: tile('soh'), voltage: tile('voltage'), current: tile('current'), power: tile('power'),
  temperature: tile('temperature'), latency_ms: tile('latency_ms'), data_quality: tile('data_quality'),
  cell_voltage_min: tile('cell_voltage_min'), cell_voltage_max: tile('cell_voltage_max'),
  cell_voltage_spread: tile('cell_voltage_spread'), cell_temperature_max: tile('cell_temperature_max'),
  alarm_flags: text(live('alarm_flags')),
  sample_time: text(live('sample_time')),
  cell_bars: chart ? Number(chart.dataset.cells || 0) : 0,
  cell_bars_drawn: drawnBars(chart),
  cell_chart_min: chart && chart.dataset.min ? Number(chart.dataset.min) : null,
  cell_chart_max: chart && chart.dataset.max ? Number(chart.dataset.max) : null,
  chart_points: points,
  alerts: document.querySelectorAll('#view #alert-list li').length,
};
})()"""


# The device page's alert list. `clicked` is the item the check clicked (kept in a property of the check's own
# on `window`): whether the page has since replaced it, and what its result line says.
ALERTS_JS = "(() => {" + COMMON_JS + r"""
const item = (node) => {
  const result = node.querySelector('.alert-result');
  const acknowledged = node.querySelector('[data-acknowledged-by]');
  const taken = node.querySelector('[data-actions-taken]');
  return {
    alert_id: node.dataset.alertId,
    device_id: node.dataset.deviceId,
    status: node.dataset.status,
    severity: node.dataset.severity,
    title: text(node.querySelector('.alert-title')),
    message: text(node.querySelector('.alert-head + div')),
    buttons: Array.from(node.querySelectorAll('.alert-actions button[data-action]')).map((button) => ({
      action: button.dataset.action, text: text(button), disabled: button.disabled,
    })),
    acknowledged_by: acknowledged ? acknowledged.dataset.acknowledgedBy : null,
    acknowledged_text: text(acknowledged),
    actions_taken: taken ? Number(taken.dataset.actionsTaken) : 0,
    actions_taken_text: text(taken),
    result_text: text(result) || null,
    result_ok: result && result.dataset.ok !== undefined ? result.dataset.ok : null,
  };
};
const clicked = window.__dashboardCheckClicked;
return {
  ...common,
  device_id: body.dataset.deviceId || null,
  alerts: Array.from(document.querySelectorAll('#view #alert-list li[data-alert-id]')).map(item),
  clicked: clicked ? { replaced: !clicked.isConnected, ...item(clicked) } : null,
};
})()"""

# Scrolls the alert's button into view and returns where its centre is, in viewport pixels, and whether a click
# there lands on it (nothing drawn over it). The item is remembered to tell when the page replaces it.
CLICK_TARGET_JS = r"""((alertId, action) => {
const node = Array.from(document.querySelectorAll('#view #alert-list li[data-alert-id]'))
  .find((candidate) => candidate.dataset.alertId === alertId);
const button = node && node.querySelector(`.alert-actions button[data-action="${action}"]`);
if (!button) return null;
window.__dashboardCheckClicked = node;
button.scrollIntoView({ block: 'center', inline: 'nearest', behavior: 'instant' });
const box = button.getBoundingClientRect();
const x = box.left + box.width / 2;
const y = box.top + box.height / 2;
const hit = document.elementFromPoint(x, y);
return { x, y, width: box.width, height: box.height, hits_button: !!hit && button.contains(hit),
         hit: hit ? hit.outerHTML.slice(0, 120) : null };
})"""

ALERT_ACTIONS = ("acknowledge", "reduce_power")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def page_errors(state):
    """Errors the page itself shows; any of them fails the check at once."""
    if state.get("view") == "login":
        return f"the dashboard asks for a token (refused or missing): {state.get('login_error') or 'no reason shown'}"
    for key in ("banner", "live_error"):
        if state.get(key):
            return f"the dashboard shows an error: {state[key]}"
    return None


def fleet_missing(state, device_id, expect_devices):
    """What the fleet view still lacks, or None when it shows everything."""
    if state.get("view") != "fleet":
        return f"fleet view (view is {state.get('view')!r})"
    rows = state["rows"]
    ids = [row["device_id"] for row in rows]
    if device_id not in ids:
        return f"row of {device_id} (rows: {ids})"
    if expect_devices is not None and len(rows) != expect_devices:
        return f"{expect_devices} rows (have {len(rows)})"
    for row in rows:
        if row["live_updates"] < 1 or not is_number(row["soc"]) or not is_number(row["power"]):
            return f"live SoC and power in {row['device_id']}'s row ({row})"
    for key in ("total_devices", "online_devices", "average_soc", "total_power"):
        if not is_number(state["tiles"].get(key, {}).get("value")):
            return f"summary tile {key}"
    if state.get("socket") != "open":
        return f"socket open (it is {state.get('socket')!r})"
    return None


def device_missing(state, device_id, seen_before, min_live_messages):
    if state.get("view") != "device" or state.get("device_id") != device_id:
        return f"device view of {device_id} (view {state.get('view')!r}, device {state.get('device_id')!r})"
    if state.get("soc_source") != "live":
        return "a live telemetry sample on the device page"
    for key in ("soc", "voltage", "current", "temperature"):
        if not is_number(state[key]["value"]):
            return f"a number in the {key} tile (it shows {state[key]['text']!r})"
    if not state.get("device_name") or not state.get("chemistry"):
        return "the device record (name, chemistry)"
    if state["cell_bars"] < 1 or state["cell_bars_drawn"] != state["cell_bars"]:
        return f"cell bars drawn ({state['cell_bars_drawn']} of {state['cell_bars']} in the canvas)"
    if state["chart_points"]["voltage"] < 1:
        return "samples in the voltage chart"
    if state.get("socket") != "open":
        return f"socket open (it is {state.get('socket')!r})"
    if state["live_messages"] < min_live_messages or state["live_messages"] <= seen_before:
        return f"{min_live_messages} live messages, some since the device page opened (have {state['live_messages']})"
    return None


def wait_for(devtools, expression, missing, deadline, what):
    """Polls the page until `missing(state)` is None; the deadline only keeps a broken page from hanging."""
    while True:
        state = devtools.evaluate(expression)
        if (problem := page_errors(state)) is not None:
            raise CheckFailed(problem, state)
        if errors := devtools.errors():
            raise CheckFailed(f"the page logged an error while waiting for {what}: {errors[0]['text']}", state)
        lacking = missing(state)
        if lacking is None:
            return state
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out waiting for {what}: still no {lacking}", state)
        devtools.pump(POLL_SECONDS)


def alert_offering(state, device_id, action):
    """The first alert of `device_id` in the list whose `action` button is enabled, or None."""
    for alert in state.get("alerts") or []:
        if alert["device_id"] == device_id and any(
                button["action"] == action and not button["disabled"] for button in alert["buttons"]):
            return alert
    return None


def alert_action_missing(state, alert_id, action, before):
    """What the clicked alert's item still lacks after `action`, or None once it shows the relay's answer.
    Raises CheckFailed at once when the item shows an error or the alert has left the list."""
    clicked = state.get("clicked") or {}
    if clicked.get("result_ok") == "false":
        raise CheckFailed(f"{action} on {alert_id} failed in the page: {clicked.get('result_text')}", state)
    if not clicked.get("replaced"):
        return f"item re-rendered from the relay's answer (the clicked one shows {clicked.get('result_text')!r})"
    alert = next((alert for alert in state.get("alerts") or [] if alert["alert_id"] == alert_id), None)
    if alert is None:
        raise CheckFailed(f"{alert_id} left the alert list after {action} (resolved?)", state)
    if alert["result_ok"] == "false":
        raise CheckFailed(f"{action} on {alert_id} failed in the page: {alert['result_text']}", state)
    if alert["status"] != "acknowledged":
        return f"data-status=\"acknowledged\" (it is {alert['status']!r})"
    if not alert["acknowledged_by"]:
        return "name in [data-acknowledged-by]"
    if action != "acknowledge":
        if alert["actions_taken"] < before["actions_taken"] + 1:
            return f"one more action in [data-actions-taken] (have {alert['actions_taken']}, had {before['actions_taken']})"
        if action.replace("_", " ") not in (alert["actions_taken_text"] or ""):
            return f"{action} among the actions taken (they read {alert['actions_taken_text']!r})"
    return None


def click(devtools, x, y):
    """A left click with the mouse at viewport pixel (x, y), as Chromium gets it from a person."""
    devtools.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    for kind in ("mousePressed", "mouseReleased"):
        devtools.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", buttons=1, clickCount=1)


def take_alert_action(devtools, device_id, action, deadline):
    """Clicks `action` on an alert of `device_id` on its page and waits for the page to show the relay's answer."""
    offering = wait_for(
        devtools, ALERTS_JS,
        lambda state: None if alert_offering(state, device_id, action) else (
            f"alert with an enabled {action} button "
            f"(listed: {[(alert['alert_id'], alert['status']) for alert in state.get('alerts') or []]})"),
        deadline, f"an alert of {device_id} offering {action}")
    before = alert_offering(offering, device_id, action)
    alert_id = before["alert_id"]
    target = devtools.evaluate(f"{CLICK_TARGET_JS}({json.dumps(alert_id)}, {json.dumps(action)})")
    if target is None:
        raise CheckFailed(f"the {action} button of {alert_id} went away before it was clicked", offering)
    if not target["hits_button"]:
        raise CheckFailed(f"the {action} button of {alert_id} is covered by {target['hit']}", offering)
    click(devtools, target["x"], target["y"])
    after = wait_for(
        devtools, ALERTS_JS, lambda state: alert_action_missing(state, alert_id, action, before), deadline,
        f"{alert_id} to show the answer to {action}")
    shown = next(alert for alert in after["alerts"] if alert["alert_id"] == alert_id)
    # Back to the top, so that the page is laid out as it was opened for the screenshot.
    devtools.evaluate("window.scrollTo(0, 0)")
    return {
        "alert_id": alert_id, "action": action,
        "button_text": next(button["text"] for button in before["buttons"] if button["action"] == action),
        "status_before": before["status"], "actions_taken_before": before["actions_taken"],
        **{key: shown[key] for key in (
            "status", "severity", "title", "message", "acknowledged_by", "acknowledged_text", "actions_taken",
            "actions_taken_text", "result_text", "result_ok", "buttons")},
        "alerts_listed": len(after["alerts"]),
    }


def screenshot(devtools, path, min_bytes):
    # The whole page, not only the window: its layout height decides the clip.
    metrics = devtools.call("Page.getLayoutMetrics")
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    result = devtools.call(
        "Page.captureScreenshot", timeout=60, format="png", captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
    data = base64.b64decode(result["data"])
    with open(path, "wb") as handle:
        handle.write(data)
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise CheckFailed(f"the screenshot {path} is not a PNG")
    width, height = struct.unpack("!II", data[16:24])
    if len(data) < min_bytes or width < 100 or height < 100:
        raise CheckFailed(f"the screenshot {path} looks empty: {len(data)} bytes, {width}×{height}")
    return {"path": os.path.abspath(path), "bytes": len(data), "width": width, "height": height}


def redact(url):
    """The URL without its token, for the report."""
    parts = urllib.parse.urlsplit(url)
    query = [(key, "…" if key == "access_token" else value) for key, value in urllib.parse.parse_qsl(parts.query)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, safe="…")))


def run(arguments, report):
    started = time.monotonic()
    deadline = started + arguments.timeout
    browser = Chromium(arguments.chromium, deadline)
    devtools = None
    try:
        devtools = DevTools(browser.page_websocket_url(), timeout=30)
        report["console"] = devtools.console
        for domain in ("Page", "Runtime", "Log"):
            devtools.call(f"{domain}.enable")
        navigation = devtools.call("Page.navigate", url=arguments.url)
        if navigation.get("errorText"):
            raise CheckFailed(f"loading {redact(arguments.url)} failed: {navigation['errorText']}")

        fleet = wait_for(
            devtools, FLEET_JS, lambda state: fleet_missing(state, arguments.device_id, arguments.expect_devices),
            deadline, "the fleet view with live values")
        if fleet["token_in_address"]:
            raise CheckFailed("the token is still in the address bar", fleet)
        report["fleet"] = {**fleet, "row_count": len(fleet["rows"])}
        if arguments.fleet_screenshot:
            report["fleet_screenshot"] = screenshot(devtools, arguments.fleet_screenshot, arguments.min_screenshot_bytes)

        # Open the device as a person would: its row's link in the table.
        seen_before = fleet["live_messages"]
        selector = json.dumps(f'#device-table tr[data-device-id="{arguments.device_id}"] a')
        if not devtools.evaluate(f"(() => {{ const a = document.querySelector({selector}); if (a) a.click(); return !!a; }})()"):
            raise CheckFailed(f"no link to {arguments.device_id} in the device table", fleet)
        device = wait_for(
            devtools, DEVICE_JS,
            lambda state: device_missing(state, arguments.device_id, seen_before, arguments.min_live_messages),
            deadline, f"{arguments.device_id}'s page with live values")
        report["device"] = device
        if arguments.alert_action:
            report["alert"] = take_alert_action(devtools, arguments.device_id, arguments.alert_action, deadline)
        report["screenshot"] = screenshot(devtools, arguments.screenshot, arguments.min_screenshot_bytes)
        # Anything logged while the screenshot was taken counts too.
        devtools.pump(0)
        if errors := devtools.errors():
            raise CheckFailed(f"the page logged an error: {errors[0]['text']}", device)
        report["ok"] = True
        report["elapsed_seconds"] = round(time.monotonic() - started, 2)
    finally:
        if devtools is not None:
            devtools.close()
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the dashboard URL with ?access_token=…")
    parser.add_argument("device_id", help="the device whose page is opened")
    parser.add_argument("screenshot", help="where the PNG of the device page goes")
    parser.add_argument("--timeout", type=float, default=90, help="seconds for the whole check (default 90)")
    parser.add_argument("--min-live-messages", type=int, default=10, help="socket messages the page must have counted")
    parser.add_argument("--expect-devices", type=int, help="rows the fleet's device table must have")
    parser.add_argument("--fleet-screenshot", help="also a PNG of the fleet view")
    parser.add_argument(
        "--alert-action", choices=ALERT_ACTIONS,
        help="on the device page, take this action on an alert of the device and check the page's answer")
    parser.add_argument("--min-screenshot-bytes", type=int, default=20_000, help="smallest plausible PNG (default 20000)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    arguments = parser.parse_args()

    signal.signal(signal.SIGTERM, _stop_on_signal)
    report = {"ok": False, "url": redact(arguments.url), "device_id": arguments.device_id, "console": []}
    code = 1
    try:
        if not os.access(arguments.chromium, os.X_OK):
            raise BrowserUnavailable(f"{arguments.chromium} not found: install Debian's chromium (scripts/bootstrap.sh)")
        run(arguments, report)
        code = 0
    except CheckFailed as failure:
        report["error"] = str(failure)
        report["last_state"] = failure.state
    except BrowserUnavailable as failure:
        report["error"] = str(failure)
        code = 2
    except (OSError, ConnectionError, ValueError) as failure:
        report["error"] = f"{type(failure).__name__}: {failure}"
    except (SystemExit, KeyboardInterrupt) as stop:
        report["error"] = str(stop) or "interrupted"
    errors = [entry for entry in report["console"] if entry["level"] == "error"]
    if errors and "error" not in report:
        report["ok"] = False
        report["error"] = "the page logged errors"
        code = 1
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if code != 0:
        print(f"dashboard_check.py: FAILED: {report['error']}", file=sys.stderr)
        for entry in errors:
            print(f"  {entry['source']}: {entry['text']} {entry.get('where', '')}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
