// Two browser pages and one nc-style TCP client chat through linechat.
// Usage: node two_pages.mjs WEB_PORT CHAT_PORT   (Chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import { tcpClient, launch, openPage, joinAs as join } from "./lib.mjs";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
try {
  const ctx = await browser.newContext();
  const ann = await openPage(ctx, webPort);
  const ben = await openPage(ctx, webPort);
  const nc = tcpClient(chatPort);
  nc.send("ncuser");
  await nc.waitFor("* ncuser joined (1 online)");

  await join(ann, "ann");
  await join(ben, "ben");
  await nc.waitFor("* ben joined (3 online)");
  // Everyone sees the joins and the online list.
  await ann.locator("#log li", { hasText: "ben joined (3 online)" }).waitFor();
  await ann.locator("#people li", { hasText: "ncuser" }).waitFor();
  await ben.locator("#people li", { hasText: "ann" }).waitFor();

  // A taken nickname is reported on the page.
  const late = await openPage(ctx, webPort);
  await late.fill("#nick", "ANN");
  await late.click("#nick-form button");
  await late.locator("#nick-error", { hasText: "already in use" }).waitFor();

  // Page to page and page to nc.
  await ann.fill("#text", "hello from ann");
  await ann.click("#chat-form button");
  await ben.locator("#log li", { hasText: "ann: hello from ann" }).waitFor();
  await nc.waitFor("[ann] hello from ann");
  // nc to pages.
  nc.send("hi browsers");
  await ann.locator("#log li", { hasText: "ncuser: hi browsers" }).waitFor();
  await ben.locator("#log li", { hasText: "ncuser: hi browsers" }).waitFor();
  // A leave shows up.
  nc.send("/bye");
  await nc.waitFor("* bye");
  await ben.locator("#log li", { hasText: "ncuser left (2 online)" }).waitFor();
  await ben.screenshot({ path: process.env.SCREENSHOT || "/tmp/linechat-page.png" });
  console.log("ok: two pages and one nc client chatted");
} finally {
  await browser.close();
}
