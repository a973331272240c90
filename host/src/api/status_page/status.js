// patchbay status page: polls GET /v1/channels and renders one row per channel.
//
// Rules this file keeps (the page is served with Content-Security-Policy: default-src 'self'):
// - every string from the JSON goes into the DOM through textContent or an attribute set with
//   setAttribute/classList, never parsed as HTML markup;
// - the API token lives in sessionStorage only. It is sent in the Authorization header of the
//   poll, never in a URL. A "#token=..." fragment (never sent to the server) prefills it for
//   scripted use and is removed from the address bar at once;
// - fields the host does not send yet are shown as "—", so the page works with older hosts.
"use strict";

(function () {
  const POLL_MS = 2000;
  const TOKEN_KEY = "patchbay.api_token";
  const DASH = "—";

  const $ = (id) => document.getElementById(id);
  let timer = null;
  let lastSamples = new Map(); // channel id -> {accepted, at} for the computed rate
  let lastRates = new Map(); // channel id -> last computed messages per minute

  function storedToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || "";
    } catch (e) {
      return "";
    }
  }

  function storeToken(t) {
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* storage disabled: the token then lasts until the next failed poll */
    }
  }

  function takeFragmentToken() {
    const m = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
    if (!m) return;
    let t = "";
    try {
      t = decodeURIComponent(m[1]);
    } catch (e) {
      t = "";
    }
    if (t) storeToken(t);
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function isNum(v) {
    return typeof v === "number" && isFinite(v);
  }

  // "4s", "3m 12s", "2h 5m", "3d 4h".
  function duration(ms) {
    if (!isNum(ms)) return DASH;
    let s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + "s";
    let m = Math.floor(s / 60);
    s %= 60;
    if (m < 60) return m + "m " + s + "s";
    let h = Math.floor(m / 60);
    m %= 60;
    if (h < 24) return h + "h " + m + "m";
    const d = Math.floor(h / 24);
    h %= 24;
    return d + "d " + h + "h";
  }

  function ago(unixMs, now) {
    if (!isNum(unixMs)) return DASH;
    if (unixMs <= 0) return "never";
    return duration(now - unixMs) + " ago";
  }

  function stateClass(state) {
    return "state state-" + String(state).toLowerCase().replace(/[^a-z0-9_-]/g, "");
  }

  function messagesPerMinute(c, now) {
    if (isNum(c.inbound_last_minute)) return String(c.inbound_last_minute);
    const accepted = c.inbound && isNum(c.inbound.accepted) ? c.inbound.accepted : null;
    if (accepted === null) return DASH;
    const prev = lastSamples.get(c.id);
    lastSamples.set(c.id, { accepted: accepted, at: now });
    if (prev && now > prev.at && accepted >= prev.accepted) {
      const rate = ((accepted - prev.accepted) * 60000) / (now - prev.at);
      lastRates.set(c.id, rate);
    }
    const r = lastRates.get(c.id);
    return r === undefined ? DASH : r.toFixed(r < 10 && r > 0 ? 1 : 0);
  }

  function lastError(c, now) {
    const e = c.last_error;
    if (e === undefined || e === null || typeof e !== "object") return [DASH, ""];
    const text = typeof e.text === "string" && e.text ? e.text : DASH;
    return [text, isNum(e.unix_ms) && e.unix_ms > 0 ? ago(e.unix_ms, now) : ""];
  }

  function reconnect(c, now) {
    if (!isNum(c.attempt) || c.attempt <= 0) return isNum(c.attempt) ? "none" : DASH;
    let s = "attempt " + c.attempt;
    if (isNum(c.next_attempt_unix_ms) && c.next_attempt_unix_ms > 0) {
      const left = c.next_attempt_unix_ms - now;
      s += left > 0 ? ", next in " + duration(left) : ", trying now";
    }
    return s;
  }

  function counts(obj) {
    if (!obj || typeof obj !== "object") return "";
    return Object.keys(obj)
      .filter((k) => isNum(obj[k]) && obj[k] > 0)
      .map((k) => k + " " + obj[k])
      .join(", ");
  }

  function outbound(c, now) {
    const o = c.outbound;
    if (!o || typeof o !== "object") return [DASH, ""];
    const sends = counts(o.sends) || "none";
    const edits = counts(o.edits);
    let note = "";
    if (isNum(o.in_flight)) {
      note = o.in_flight + " in flight";
      if (o.in_flight > 0 && isNum(o.oldest_in_flight_ms))
        note += " (oldest " + duration(o.oldest_in_flight_ms) + ")";
    }
    const f = o.last_failure;
    if (f && typeof f === "object" && typeof f.text === "string" && f.text) {
      let failure = "last failure: " + (typeof f.what === "string" && f.what ? f.what + ": " : "") + f.text;
      if (isNum(f.unix_ms) && f.unix_ms > 0) failure += " (" + ago(f.unix_ms, now) + ")";
      note = note ? note + "; " + failure : failure;
    }
    return ["sends: " + sends + (edits ? "; edits: " + edits : ""), note];
  }

  function cell(text, note, cls) {
    const td = el("td", text, cls);
    if (note) td.appendChild(el("span", note, "note"));
    return td;
  }

  function row(c, now) {
    const tr = document.createElement("tr");
    const id = typeof c.id === "string" ? c.id : "";
    const state = typeof c.state === "string" ? c.state : "unknown";
    tr.setAttribute("data-channel", id);
    tr.setAttribute("data-state", state);
    tr.appendChild(cell(id, c.enabled === false ? "disabled in config" : "", "id"));
    const version = typeof c.plugin_version === "string" && c.plugin_version ? " " + c.plugin_version : "";
    tr.appendChild(cell((c.plugin || DASH) + version, c.platform ? "platform " + c.platform : "", "plugin"));
    const stateTd = cell(state, c.reason || "", stateClass(state));
    if (typeof c.reported_state === "string" && c.reported_state && c.reported_state !== state)
      stateTd.appendChild(el("span", "plugin reports " + c.reported_state, "note"));
    if (isNum(c.last_liveness_unix_ms) && c.last_liveness_unix_ms > 0) {
      let life = "last sign of life " + ago(c.last_liveness_unix_ms, now);
      if (isNum(c.liveness_window_ms) && c.liveness_window_ms > 0)
        life += " (window " + duration(c.liveness_window_ms) + ")";
      stateTd.appendChild(el("span", life, "note"));
    }
    if (c.agent_problem) stateTd.appendChild(el("span", "agent: " + c.agent_problem, "note"));
    tr.appendChild(stateTd);
    tr.appendChild(cell(isNum(c.since_unix_ms) && c.since_unix_ms > 0 ? duration(now - c.since_unix_ms) : DASH, "", "since"));
    tr.appendChild(cell(ago(c.last_inbound_unix_ms, now), "", "last-inbound"));
    tr.appendChild(cell(messagesPerMinute(c, now), "", "rate"));
    const [errText, errWhen] = lastError(c, now);
    tr.appendChild(cell(errText, errWhen, "last-error"));
    tr.appendChild(cell(reconnect(c, now), "", "reconnect"));
    const [out, outNote] = outbound(c, now);
    tr.appendChild(cell(out, outNote, "outbound"));
    return tr;
  }

  function render(channels) {
    const now = Date.now();
    const rows = channels.map((c) => row(c, now));
    $("rows").replaceChildren(...rows);
    const connected = channels.filter((c) => c.state === "connected").length;
    const enabled = channels.filter((c) => c.enabled !== false).length;
    $("summary").textContent = connected + " of " + enabled + " enabled channels connected";
    $("updated").textContent = "updated " + new Date(now).toLocaleTimeString();
    const seen = new Set(channels.map((c) => c.id));
    for (const k of Array.from(lastSamples.keys())) if (!seen.has(k)) lastSamples.delete(k);
  }

  function showProblem(text) {
    const p = $("problem");
    p.textContent = text;
    p.hidden = !text;
    for (const tr of $("rows").children) tr.classList.toggle("stale", !!text);
  }

  function askForToken(refused) {
    const form = $("token-form");
    $("token-message").textContent = refused
      ? "The API token was refused. Enter a valid token."
      : "This host needs its API token to show channel status.";
    form.hidden = false;
    $("summary").textContent = "token needed";
  }

  async function poll() {
    timer = null;
    const token = storedToken();
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    try {
      const r = await fetch("v1/channels", { headers: headers, cache: "no-store", credentials: "omit" });
      if (r.status === 401) {
        askForToken(!!token);
        showProblem("");
        return; // wait for the form; polling resumes on submit
      }
      if (!r.ok) throw new Error("GET /v1/channels answered HTTP " + r.status);
      const body = await r.json();
      if (!body || !Array.isArray(body.channels)) throw new Error("unexpected answer from /v1/channels");
      $("token-form").hidden = true;
      showProblem("");
      render(body.channels);
    } catch (e) {
      showProblem("Cannot read the channel status: " + (e && e.message ? e.message : String(e)));
    }
    timer = setTimeout(poll, POLL_MS);
  }

  function start() {
    takeFragmentToken();
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = $("token-input");
      storeToken(input.value.trim());
      input.value = "";
      $("token-form").hidden = true;
      if (timer !== null) clearTimeout(timer);
      poll();
    });
    window.addEventListener("hashchange", () => {
      takeFragmentToken();
      if (timer !== null) clearTimeout(timer);
      poll();
    });
    poll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
