// The official @larksuiteoapi/node-sdk's CardKit calls against patchbay-fake-feishu (--plain):
// cardkit.v1.card.create (a JSON 2.0 streaming card), the card sent as an interactive message,
// cardkit.v1.cardElement.content (the full text, sequence increasing), a stale sequence refused
// with 300317, cardkit.v1.card.settings (streaming off, summary), then an update refused with
// 300309; the fake's record shows what the user saw. Exit 0 = pass, 1 = fail.
//
// usage: node cards_client.js <node_modules dir> <first line of the fake as JSON>
'use strict';
const path = require('path');
const lark = require(path.resolve(process.argv[2], '@larksuiteoapi/node-sdk'));
const fake = JSON.parse(process.argv[3]);
const app = fake.apps[0];
const base = fake.base_url;

const fail = (what) => { console.error('FAIL: ' + what); process.exit(1); };
setTimeout(() => fail('timed out after 60 s'), 60000).unref();

async function control(method, target, body) {
  const r = await fetch(base + target, {method, body: body ? JSON.stringify(body) : undefined,
                                        headers: {'Content-Type': 'application/json'}});
  return r.json();
}
// The SDK throws on non-2xx answers (the fake answers errors with HTTP 400): the code either way.
async function code(call) {
  try {
    return (await call()).code;
  } catch (e) {
    if (e.response && e.response.data) return e.response.data.code;
    throw e;
  }
}

(async () => {
  const client = new lark.Client({appId: app.app_id, appSecret: app.app_secret, domain: base,
                                  loggerLevel: lark.LoggerLevel.error});
  const card = {
    schema: '2.0',
    config: {streaming_mode: true, summary: {content: 'typing'}},
    body: {elements: [{tag: 'markdown', element_id: 'answer', content: 'Hel'}]},
  };
  const created = await client.cardkit.v1.card.create({
    data: {type: 'card_json', data: JSON.stringify(card)},
  });
  if (created.code !== 0 || !created.data.card_id) fail('create: ' + JSON.stringify(created));
  const cardId = created.data.card_id;

  const inj = await control('POST', '/_fake/inject', {text: 'hi', chat_type: 'p2p'});
  const sent = await client.im.message.create({
    params: {receive_id_type: 'chat_id'},
    data: {receive_id: inj.chat_id, msg_type: 'interactive',
           content: JSON.stringify({type: 'card', data: {card_id: cardId}})},
  });
  if (sent.code !== 0) fail('send card: ' + JSON.stringify(sent));

  const content = (text, sequence) => client.cardkit.v1.cardElement.content({
    path: {card_id: cardId, element_id: 'answer'},
    data: {content: text, sequence, uuid: 'u-' + sequence},
  });
  let c = await code(() => content('Hello', 1));
  if (c !== 0) fail('content 1: ' + c);
  c = await code(() => content('Hello, world', 2));
  if (c !== 0) fail('content 2: ' + c);
  c = await code(() => content('stale', 2));
  if (c !== 300317) fail('a repeated sequence must be refused with 300317, got ' + c);

  const settings = await client.cardkit.v1.card.settings({
    path: {card_id: cardId},
    data: {settings: JSON.stringify({config: {streaming_mode: false,
                                              summary: {content: 'Hello, world'}}}),
           sequence: 3, uuid: 'u-3'},
  });
  if (settings.code !== 0) fail('settings: ' + JSON.stringify(settings));
  c = await code(() => content('too late', 4));
  if (c !== 300309) fail('an update after streaming closed must be refused with 300309, got ' + c);

  const cards = (await control('GET', '/_fake/cards')).cards;
  const rec = cards.find((x) => x.card_id === cardId);
  if (!rec || rec.text !== 'Hello, world' || rec.streaming || rec.summary !== 'Hello, world' ||
      rec.message_id !== sent.data.message_id)
    fail('card record: ' + JSON.stringify(rec));
  const texts = rec.history.filter((h) => h.what === 'content').map((h) => h.text);
  if (JSON.stringify(texts) !== JSON.stringify(['Hello', 'Hello, world']))
    fail('history: ' + JSON.stringify(rec.history));
  const msgs = (await control('GET', '/_fake/messages?chat_id=' + inj.chat_id)).messages;
  if (msgs.length !== 1 || msgs[0].text !== 'Hello, world') fail('messages: ' + JSON.stringify(msgs));
  console.log('node-sdk cardkit against the fake: ok');
  process.exit(0);
})().catch((e) => fail(e.stack || String(e)));
