// The official @larksuiteoapi/node-sdk's media calls against patchbay-fake-feishu (--plain):
// im.image.create and im.file.create (multipart uploads, a non-ASCII file name) store exactly the
// bytes sent (the fake's MD5 equals ours), an image message sent with the returned key is
// accepted, im.messageResource.get downloads the bytes of a file "sent by a user" (staged with
// /_fake/inject data_base64) into a file, and a missing resource fails. Exit 0 = pass, 1 = fail.
//
// usage: node sdk_media.js <node_modules dir> <first line of the fake as JSON>
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const crypto = require('crypto');
const lark = require(path.resolve(process.argv[2], '@larksuiteoapi/node-sdk'));
const fake = JSON.parse(process.argv[3]);
const app = fake.apps[0];
const base = fake.base_url;

const fail = (what) => { console.error('FAIL: ' + what); process.exit(1); };
setTimeout(() => fail('timed out after 60 s'), 60000).unref();
const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

async function control(method, target, body) {
  const r = await fetch(base + target, {method, body: body ? JSON.stringify(body) : undefined,
                                        headers: {'Content-Type': 'application/json'}});
  return r.json();
}
async function storedFile(key) {
  return (await control('GET', '/_fake/files')).files.find((f) => f.key === key);
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-sdk-media-'));
  try {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(50000)]);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(70000)]);
    fs.writeFileSync(path.join(dir, 'chart.png'), png);
    fs.writeFileSync(path.join(dir, 'r.pdf'), pdf);
    // fatal: the deliberate failures below would log request errors; ours are checked here.
    const client = new lark.Client({appId: app.app_id, appSecret: app.app_secret, domain: base,
                                    loggerLevel: lark.LoggerLevel.fatal});

    const img = await client.im.image.create({
      data: {image_type: 'message', image: fs.createReadStream(path.join(dir, 'chart.png'))}});
    if (!img || !img.image_key) fail('image.create: ' + JSON.stringify(img));
    const si = await storedFile(img.image_key);
    if (!si || si.md5 !== md5(png) || si.size !== png.length) fail('stored image ' + JSON.stringify(si));

    const file = await client.im.file.create({
      data: {file_type: 'pdf', file_name: '季度报告.pdf',
             file: fs.createReadStream(path.join(dir, 'r.pdf'))}});
    if (!file || !file.file_key) fail('file.create: ' + JSON.stringify(file));
    const sf = await storedFile(file.file_key);
    if (!sf || sf.md5 !== md5(pdf) || sf.file_type !== 'pdf' || sf.file_name !== '季度报告.pdf')
      fail('stored file ' + JSON.stringify(sf));

    // A user in a chat with the bot; the bot sends the image and the file there.
    const hello = await control('POST', '/_fake/inject', {text: 'hi', chat_type: 'p2p'});
    for (const [type, content] of [['image', {image_key: img.image_key}],
                                   ['file', {file_key: file.file_key}]]) {
      const sent = await client.im.message.create({
        params: {receive_id_type: 'chat_id'},
        data: {receive_id: hello.chat_id, msg_type: type, content: JSON.stringify(content)}});
      if (sent.code !== 0) fail(type + ' message: ' + JSON.stringify(sent));
    }
    // A key the app never uploaded is refused.
    const bogus = await client.im.message.create({
      params: {receive_id_type: 'chat_id'},
      data: {receive_id: hello.chat_id, msg_type: 'image', content: JSON.stringify({image_key: 'img_nope'})},
    }).catch((e) => (e.response && e.response.data) || {code: -1});
    if (bogus.code === 0) fail('an unknown image_key was accepted');

    // A file a user sent: the SDK downloads it by message id and key.
    const userPdf = crypto.randomBytes(120000);
    const inj = await control('POST', '/_fake/inject', {
      message_type: 'file', chat_type: 'p2p', file_name: 'from-user.bin',
      data_base64: userPdf.toString('base64')});
    if (!inj.file_key) fail('inject: ' + JSON.stringify(inj));
    const res = await client.im.messageResource.get({
      path: {message_id: inj.message_id, file_key: inj.file_key}, params: {type: 'file'}});
    const out = path.join(dir, 'down.bin');
    await res.writeFile(out);
    if (!fs.readFileSync(out).equals(userPdf)) fail('downloaded bytes differ');

    const userImg = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), crypto.randomBytes(9000)]);
    const injImg = await control('POST', '/_fake/inject', {
      message_type: 'image', chat_type: 'p2p', content_type: 'image/jpeg',
      data_base64: userImg.toString('base64')});
    const resImg = await client.im.messageResource.get({
      path: {message_id: injImg.message_id, file_key: injImg.image_key}, params: {type: 'image'}});
    const chunks = [];
    for await (const c of resImg.getReadableStream()) chunks.push(c);
    if (!Buffer.concat(chunks).equals(userImg)) fail('downloaded image differs');

    // A missing resource is an error the SDK reports.
    let threw = false;
    try {
      await client.im.messageResource.get({
        path: {message_id: inj.message_id, file_key: 'file_v3_missing'}, params: {type: 'file'}});
    } catch (e) {
      threw = true;
    }
    if (!threw) fail('a missing resource did not fail');
    console.log('node-sdk media against the fake: ok');
    process.exit(0);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
})().catch((e) => fail(e.stack || String(e)));
