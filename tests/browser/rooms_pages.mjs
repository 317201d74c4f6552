// Rooms on the chat page: ann stays in #lobby, ben moves to #rust, cat holds
// both, and an nc-style client talks in #rust. Each sees exactly its rooms.
// Usage: node rooms_pages.mjs WEB_PORT CHAT_PORT   (Chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import { tcpClient, launch, openPage, joinAs, say, TIMEOUT } from "./lib.mjs";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
try {
  const ctx = await browser.newContext();
  const ann = await openPage(ctx, webPort);
  const ben = await openPage(ctx, webPort);
  const cat = await openPage(ctx, webPort);
  await joinAs(ann, "ann");
  await joinAs(ben, "ben");
  await joinAs(cat, "cat");
  const nc = tcpClient(chatPort);
  nc.send("ncuser");
  await nc.waitFor("* ncuser joined (4 online)");
  nc.send("/join #rust");
  await nc.waitFor("* ncuser joined #rust (1 online)");
  nc.send("/topic all things Rust");
  await nc.waitFor("* ncuser set the topic for #rust: all things Rust");

  // ben joins #rust with the form, then leaves #lobby with the button.
  await ben.fill("#room", "#rust");
  await ben.click("#join-form button");
  await ben.locator("#room-title", { hasText: "#rust" }).waitFor();
  await ben.locator("#topic", { hasText: "all things Rust" }).waitFor();
  await ben.locator("#people li", { hasText: "ncuser" }).waitFor();
  await nc.waitFor("* ben joined #rust (2 online)");
  await ben.click('#rooms li[data-room="#lobby"] button');
  await ben.locator("#room-title", { hasText: "#lobby" }).waitFor();
  await ben.click("#part");
  await ann.locator("#log li:visible", { hasText: "ben left (2 online)" }).waitFor();
  await ben.locator("#room-title", { hasText: "#rust" }).waitFor();
  await ben.locator('#rooms li.held[data-room="#rust"]').waitFor();
  if (await ben.locator('#rooms li.held[data-room="#lobby"]').count()) throw new Error("ben still holds #lobby");

  // cat joins #rust by clicking it in the room list, and keeps #lobby.
  await cat.locator('#rooms li[data-room="#rust"]').waitFor();
  await cat.click('#rooms li[data-room="#rust"] button');
  await cat.locator("#room-title", { hasText: "#rust" }).waitFor();
  await nc.waitFor("* cat joined #rust (3 online)");
  await cat.locator('#rooms li.held[data-room="#lobby"]').waitFor();

  // #rust talk reaches ben and cat, not ann.
  nc.send("hi rust");
  await ben.locator("#log li:visible", { hasText: "ncuser: hi rust" }).waitFor();
  await cat.locator("#log li:visible", { hasText: "ncuser: hi rust" }).waitFor();
  await say(ben, "ben here");
  await nc.waitFor("[ben] ben here");
  await cat.locator("#log li:visible", { hasText: "ben: ben here" }).waitFor();

  // cat switches to #lobby and talks to ann; nc and ben hear nothing of it.
  await cat.click('#rooms li[data-room="#lobby"] button');
  await cat.locator("#room-title", { hasText: "#lobby" }).waitFor();
  await cat.locator("#people li", { hasText: "ann" }).waitFor();
  await say(cat, "hi lobby");
  await ann.locator("#log li:visible", { hasText: "cat: hi lobby" }).waitFor();
  await say(ann, "lobby only");
  await cat.locator("#log li:visible", { hasText: "ann: lobby only" }).waitFor();
  // #rust got a message while cat looked at #lobby: marked unread.
  nc.send("while you were away");
  await cat.locator('#rooms li.unread[data-room="#rust"]').waitFor();
  await ben.locator("#log li:visible", { hasText: "ncuser: while you were away" }).waitFor();
  for (const text of ["hi rust", "ben here", "while you were away"]) {
    if (await ann.locator("#log li", { hasText: text }).count()) throw new Error(`ann saw #rust's ${text}`);
  }
  if (await ben.locator("#log li", { hasText: "lobby only" }).count()) throw new Error("ben saw #lobby talk");
  if (nc.lines.some((l) => l.includes("lobby only") || l.includes("hi lobby"))) throw new Error("nc saw #lobby talk");

  // A topic set on a page reaches the nc user and the other page's header.
  await say(ben, "/topic Rust, and more");
  await nc.waitFor("* ben set the topic for #rust: Rust, and more");
  await cat.click('#rooms li[data-room="#rust"] button');
  await cat.locator("#topic", { hasText: "Rust, and more" }).waitFor();
  await cat.locator("#log li:visible", { hasText: "ben set the topic for #rust: Rust, and more" }).waitFor();
  await cat.locator("#rooms li", { hasText: "#rust" }).locator(".count", { hasText: "3" }).waitFor();
  await cat.screenshot({ path: process.env.SCREENSHOT || "/tmp/linechat-rooms.png" });
  nc.end();
  console.log("ok: pages in #lobby, #rust and both, with an nc user in #rust");
} finally {
  await browser.close();
}
