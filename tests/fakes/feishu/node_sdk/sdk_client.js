// The official @larksuiteoapi/node-sdk against patchbay-fake-feishu (--plain): a WSClient receives
// an injected im.message.receive_v1 and acks it (the fake must record the ack), then
// Client.im.message.create / reply go through the fake's Open API. Exit 0 = pass, 1 = fail.
//
// usage: node sdk_client.js <node_modules dir> <first line of the fake as JSON>
'use strict';
const path = require('path');
const lark = require(path.resolve(process.argv[2], '@larksuiteoapi/node-sdk'));
const fake = JSON.parse(process.argv[3]);
const app = fake.apps[0];
const base = fake.base_url;

const fail = (what) => { console.error('FAIL: ' + what); process.exit(1); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
setTimeout(() => fail('timed out after 60 s'), 60000).unref();

async function control(method, target, body) {
  const r = await fetch(base + target, {method, body: body ? JSON.stringify(body) : undefined,
                                        headers: {'Content-Type': 'application/json'}});
  return r.json();
}
async function until(pred, what, ms = 20000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    if (await pred()) return;
  }
  fail(what);
}

(async () => {
  const received = [];
  const dispatcher = new lark.EventDispatcher({}).register({
    'im.message.receive_v1': async (data) => { received.push(data); },
  });
  let ready = false;
  const ws = new lark.WSClient({appId: app.app_id, appSecret: app.app_secret, domain: base,
                                loggerLevel: lark.LoggerLevel.warn, onReady: () => { ready = true; },
                                onError: (e) => fail('WSClient onError: ' + e.message)});
  ws.start({eventDispatcher: dispatcher});
  await until(async () => ready, 'WSClient never became ready');

  const inj = await control('POST', '/_fake/inject', {text: 'hello sdk', chat_type: 'group',
                                                       mention_bot: true, fragments: 2});
  await until(async () => received.length > 0, 'the SDK handler never got the event');
  const ev = received[0];
  if (ev.event_id !== inj.event_id) fail('event_id ' + ev.event_id + ' != ' + inj.event_id);
  if (ev.message.message_id !== inj.message_id) fail('message_id mismatch');
  if (ev.message.chat_type !== 'group') fail('chat_type');
  if (JSON.parse(ev.message.content).text !== '@_user_1 hello sdk') fail('content ' + ev.message.content);
  if (ev.message.mentions[0].id.open_id !== app.bot_open_id) fail('mention is not the bot');
  await until(async () => {
    const evs = (await control('GET', '/_fake/events')).events;
    return evs.length === 1 && evs[0].acked && evs[0].ack_code === 200;
  }, 'the fake did not record the SDK ack');

  const client = new lark.Client({appId: app.app_id, appSecret: app.app_secret, domain: base,
                                  loggerLevel: lark.LoggerLevel.warn});
  const sent = await client.im.message.create({
    params: {receive_id_type: 'chat_id'},
    data: {receive_id: inj.chat_id, msg_type: 'text', content: JSON.stringify({text: 'hi from sdk'}),
           uuid: 'sdk-1'},
  });
  if (sent.code !== 0 || !sent.data.message_id.startsWith('om_')) fail('create: ' + JSON.stringify(sent));
  const reply = await client.im.message.reply({
    path: {message_id: inj.message_id},
    data: {msg_type: 'text', content: JSON.stringify({text: 'reply from sdk'})},
  });
  if (reply.code !== 0 || reply.data.parent_id !== inj.message_id) fail('reply: ' + JSON.stringify(reply));
  const upd = await client.im.message.update({
    path: {message_id: sent.data.message_id},
    data: {msg_type: 'text', content: JSON.stringify({text: 'edited by sdk'})},
  });
  if (upd.code !== 0) fail('update: ' + JSON.stringify(upd));
  const msgs = (await control('GET', '/_fake/messages?chat_id=' + inj.chat_id)).messages;
  if (msgs.length !== 2 || msgs[0].text !== 'edited by sdk' || msgs[1].reply_to !== inj.message_id)
    fail('messages: ' + JSON.stringify(msgs));
  const conns = (await control('GET', '/_fake/connections')).connections;
  if (conns.length !== 1 || conns[0].pings < 1) fail('connections: ' + JSON.stringify(conns));
  ws.close({force: true});
  console.log('node-sdk against the fake: ok');
  process.exit(0);
})().catch((e) => fail(e.stack || String(e)));
