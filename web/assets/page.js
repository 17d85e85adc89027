// The signage page: reads its settings from the page, keeps one failover MQTT
// connection (failover.js) and draws what view.js says. Only DOM glue here.
/* global window, document, location */
import { createFailoverClient } from './failover.js';
import { applyMessage, createState, displayModel, resolveBrokerUrls, subscriptionsFor } from './view.js';

const config = JSON.parse(document.getElementById('signage-config').textContent);
const $ = (id) => document.getElementById(id);
const body = document.body;
let state = createState(config.lot, config.topicRoot);
let connection;

function levelRow(name) {
  const row = document.createElement('div');
  row.className = 'level';
  row.dataset.level = name;
  const label = document.createElement('span');
  label.className = 'name';
  label.textContent = name;
  const free = document.createElement('span');
  free.className = 'free';
  const total = document.createElement('span');
  total.className = 'of';
  const forecast = document.createElement('span');
  forecast.className = 'forecast';
  row.append(label, free, total, forecast);
  return row;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function render() {
  const model = displayModel(state, { now: Date.now(), connection, knownLots: config.knownLots });
  body.dataset.status = model.status;
  body.dataset.connection = model.connection.tone;
  setText($('lot-free'), model.free);
  $('lot-free').style.setProperty('--digits', String(Math.max(2, model.free.length)));
  setText($('lot-total'), model.total);
  setText($('lot-status'), model.statusText);
  setText($('lot-forecast'), model.forecast);
  setText($('updated'), model.updated);
  setText($('connection-text'), model.connection.text);

  const list = $('levels');
  const rows = new Map([...list.children].map((row) => [row.dataset.level, row]));
  model.levels.forEach((level, i) => {
    const row = rows.get(level.name) ?? levelRow(level.name);
    rows.delete(level.name);
    if (list.children[i] !== row) list.insertBefore(row, list.children[i] ?? null);
    row.dataset.status = level.status;
    setText(row.querySelector('.free'), level.free);
    setText(row.querySelector('.of'), level.total);
    setText(row.querySelector('.forecast'), level.forecast);
  });
  for (const stale of rows.values()) stale.remove();
  list.style.setProperty('--rows', String(Math.max(1, model.levels.length)));
}

const client = createFailoverClient({
  urls: resolveBrokerUrls(config.mqttWsUrls, location.hostname),
  connect: (url, options) => window.mqtt.connect(url, options),
  subscriptions: subscriptionsFor(config.lot, config.topicRoot),
  failoverMs: config.failoverMs,
  probeIntervalMs: config.probeIntervalMs,
  onMessage(topic, payload, meta) {
    const result = applyMessage(state, topic, payload, { retained: meta.retained, receivedAt: Date.now() });
    state = result.state;
    if (result.changed) render();
  },
  onStatus(status) {
    connection = status;
    $('connection').dataset.url = status.url ?? '';
    render();
  },
});

render();
client.start();
// The "updated … ago" text moves on even when nothing arrives.
window.setInterval(render, 1000);
