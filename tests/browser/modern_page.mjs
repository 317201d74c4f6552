// Typing, reactions, deleting and unread counts on the chat page, with two
// pages, a second device of the same account and an IRC client (raw lines,
// message-tags and draft/message-redaction):
// - bob types: alice's page says "bob is typing…", IRC gets +typing;
//   IRC types: bob's page says so;
// - alice reacts 👍 to bob's line by a click: bob's page shows it, IRC gets
//   +draft/react; IRC reacts 🎉: both pages show it;
// - bob deletes his line: alice's page strikes it out, IRC gets REDACT;
// - alice on two devices: #side's unread count on both, read on one, gone
//   on the other.
// Usage: node modern_page.mjs WEB_PORT IRC_PORT   (Chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import { launch, openPage, joinAs, say, tcpClient } from "./lib.mjs";

const [webPort, ircPort] = process.argv.slice(2).map(Number);

// An IRC client speaking raw lines (the line client of lib.mjs: IRC takes
// a bare LF), with message-tags and draft/message-redaction.
function ircClient(nick) {
  const irc = tcpClient(ircPort);
  irc.send("CAP REQ :message-tags draft/message-redaction");
  irc.send(`NICK ${nick}`);
  irc.send(`USER ${nick} 0 * :${nick}`);
  irc.send("CAP END");
  return { send: irc.send, waitFor: irc.waitUntil, end: irc.end };
}

const browser = await launch(chromium);
const irc = ircClient("ircy");
try {
  await irc.waitFor((l) => l.includes(" 376 "), "the MOTD");
  irc.send("JOIN #lobby");
  await irc.waitFor((l) => l.includes(" 366 "), "the names");

  const a = await openPage(await browser.newContext(), webPort);
  await a.fill("#nick", "alice");
  await a.fill("#password", "correct-horse");
  await a.click("#register");
  await a.locator("#status", { hasText: "(signed in)" }).waitFor();
  const b = await openPage(await browser.newContext(), webPort);
  await joinAs(b, "bob");

  // Typing, both ways.
  await b.fill("#text", "ship");
  await a.locator("#typing", { hasText: "bob is typing…" }).waitFor();
  await irc.waitFor((l) => l === "@+typing=active :bob!bob@linechat TAGMSG #lobby", "bob's typing");
  irc.send("@+typing=active TAGMSG #lobby");
  await b.locator("#typing", { hasText: "ircy is typing…" }).waitFor();
  await say(b, "ship it?");
  await a.locator("#typing", { hasText: "bob is typing" }).waitFor({ state: "detached" }).catch(() => {});
  if ((await a.locator("#typing").textContent()).includes("bob")) throw new Error("bob still shown typing after his line");
  console.log("ok: typing shown both ways");

  // A reaction by a click, and one from IRC.
  const said = await irc.waitFor((l) => l.endsWith("PRIVMSG #lobby :ship it?"), "bob's line");
  const msgid = said.match(/msgid=([^; ]+)/)[1];
  const aLine = a.locator(`#log li[data-id="${msgid}"]`);
  await aLine.hover();
  await aLine.locator("button.react", { hasText: "👍" }).click();
  const bLine = b.locator(`#log li[data-id="${msgid}"]`);
  await bLine.locator(".reactions span", { hasText: "👍 1" }).waitFor();
  await irc.waitFor((l) => l === `@+draft/react=👍;+draft/reply=${msgid} :alice!alice@linechat TAGMSG #lobby`, "alice's reaction");
  irc.send(`@+draft/react=🎉;+draft/reply=${msgid} TAGMSG #lobby`);
  await aLine.locator(".reactions span", { hasText: "🎉 1" }).waitFor();
  await bLine.locator(".reactions span", { hasText: "🎉 1" }).waitFor();
  console.log("ok: reactions shown under the line");

  // Bob deletes his line.
  await bLine.hover();
  await bLine.locator("button.delete").click();
  await a.locator(`#log li.deleted[data-id="${msgid}"]`).waitFor();
  await irc.waitFor((l) => l === `:bob!bob@linechat REDACT #lobby ${msgid}`, "the REDACT");
  console.log("ok: a deleted line struck out");

  // Alice's second device: unread counts agree.
  const a2 = await openPage(await browser.newContext(), webPort);
  await a2.fill("#nick", "alice");
  await a2.fill("#password", "correct-horse");
  await a2.click("#sign-in");
  await a2.locator("#nick-error", { hasText: "nickname is in use" }).waitFor();
  await joinAs(a2, "alice2");
  for (const page of [a, a2, b]) {
    await say(page, "/join #side");
    await page.locator('#rooms li.active[data-room="#side"]').waitFor();
  }
  for (const page of [a, a2]) {
    await page.locator('#rooms li[data-room="#lobby"] button').click();
    await page.locator('#rooms li.active[data-room="#lobby"]').waitFor();
  }
  await say(b, "one");
  await say(b, "two");
  for (const page of [a, a2]) await page.locator('#rooms li[data-room="#side"] .unread-count', { hasText: "2" }).waitFor();
  await a.locator('#rooms li[data-room="#side"] button').click();
  await a2.locator('#rooms li[data-room="#side"] .unread-count').waitFor({ state: "detached" });
  console.log("ok: read on one device, read on the other");
} finally {
  irc.end();
  await browser.close();
}
