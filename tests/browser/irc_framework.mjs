// Two irc-framework clients (the IRC library under The Lounge) against a
// running linechat: one signs in with SASL PLAIN, reads a room's history
// with CHATHISTORY inside a batch, and sees the other type and react.
// Usage: node irc_framework.mjs IRC_PORT ACCOUNT PASSWORD ROOM
// (ROOM already holds the lines "first", "second", "third").
import IRC from 'irc-framework';

const [port, account, password, room] = process.argv.slice(2);
const host = '127.0.0.1';

function fail(why) {
  console.error(`FAIL: ${why}`);
  process.exit(1);
}
const deadline = setTimeout(() => fail('timed out'), 20000);

/** Resolves with the first `event` of `client` for which `check` holds. */
function next(client, event, check = () => true) {
  return new Promise((resolve) => {
    const on = (e) => {
      if (check(e)) {
        client.removeListener(event, on);
        resolve(e);
      }
    };
    client.on(event, on);
  });
}

function start(nick, extra) {
  const client = new IRC.Client();
  client.requestCap(['draft/chathistory', 'draft/message-redaction']);
  client.connect({ host, port: Number(port), nick, username: nick, gecos: `${nick} (irc-framework)`, ...extra });
  return client;
}

const reader = start('fwreader', { account: { account, password } });
const loggedIn = next(reader, 'loggedin');
await next(reader, 'registered');
const login = await loggedIn;
if (login.account !== account) fail(`signed in as ${login.account}`);
console.log(`SASL: signed in as ${login.account}`);
if (!reader.network.cap.isEnabled('message-tags') || !reader.network.cap.isEnabled('batch')) {
  fail('message-tags and batch were not negotiated');
}

reader.join(room);
await next(reader, 'join', (e) => e.nick === 'fwreader');
// CHATHISTORY: the room's lines, oldest first, in one chathistory batch.
const batch = next(reader, 'batch end chathistory');
reader.raw(`CHATHISTORY LATEST ${room} * 10`);
const got = await batch;
const texts = got.commands.filter((c) => c.command === 'PRIVMSG').map((c) => c.params[1]);
if (texts.join(',') !== 'first,second,third') fail(`history was ${JSON.stringify(texts)}`);
const msgids = got.commands.map((c) => c.tags.msgid);
if (msgids.some((id) => !id)) fail('history lines without msgid');
console.log(`CHATHISTORY: ${texts.join(', ')}`);

const writer = start('fwwriter', {});
await next(writer, 'registered');
writer.join(room);
await next(reader, 'join', (e) => e.nick === 'fwwriter');

// Typing, then a reaction to the second line, as TAGMSG client tags.
const typing = next(reader, 'tagmsg', (e) => e.tags['+typing']);
writer.tagmsg(room, { '+typing': 'active' });
const seen = await typing;
if (seen.nick !== 'fwwriter' || seen.tags['+typing'] !== 'active') fail(`typing: ${JSON.stringify(seen)}`);
console.log('TAGMSG +typing=active relayed');
const reaction = next(reader, 'tagmsg', (e) => e.tags['+draft/react']);
writer.tagmsg(room, { '+draft/react': '👍', '+draft/reply': msgids[1] });
const reacted = await reaction;
if (reacted.tags['+draft/react'] !== '👍' || reacted.tags['+draft/reply'] !== msgids[1]) {
  fail(`reaction: ${JSON.stringify(reacted.tags)}`);
}
console.log('TAGMSG +draft/react relayed');

// A message from the writer arrives with its msgid and server time.
const message = next(reader, 'privmsg', (e) => e.nick === 'fwwriter');
writer.say(room, 'typed it');
const said = await message;
if (said.message !== 'typed it' || !said.tags.msgid || !said.time) fail(`privmsg: ${JSON.stringify(said)}`);
console.log('PRIVMSG with msgid and time');

writer.quit('done');
reader.quit('done');
clearTimeout(deadline);
setTimeout(() => process.exit(0), 100);
