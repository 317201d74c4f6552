// Accounts on the chat page: the register link beside the nickname box
// registers the name being joined; another visitor is refused that name,
// a wrong password says so, and the sign-in form takes the name back; an
// nc user in the room sees who joined; /logout from the chat box.
// Usage: node accounts_page.mjs WEB_PORT CHAT_PORT   (Chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import { tcpClient, launch, openPage } from "./lib.mjs";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
const nc = tcpClient(chatPort);
try {
  nc.send("nc");
  await nc.waitFor("* nc joined (1 online)");

  // Register: the name, a password, the register link.
  const first = await browser.newContext();
  const a = await openPage(first, webPort);
  await a.fill("#nick", "pia");
  await a.fill("#password", "correct-horse");
  await a.click("#register");
  await a.locator("#status", { hasText: "connected as pia (signed in)" }).waitFor();
  await a.locator("#log li", { hasText: "registered the account pia; you are signed in" }).waitFor();
  await a.locator("#log li", { hasText: "keeps accounts in memory only" }).waitFor();
  await nc.waitFor("* pia joined (2 online)");
  await first.close();
  await nc.waitFor("* pia left (1 online)");

  // Someone else: the name is refused, a wrong password too; the right one signs in.
  const second = await browser.newContext();
  const b = await openPage(second, webPort);
  await b.fill("#nick", "pia");
  await b.click("#join");
  await b.locator("#nick-error", { hasText: "'pia' is a registered name" }).waitFor();
  await b.fill("#password", "wrong-horse");
  await b.click("#sign-in");
  await b.locator("#nick-error", { hasText: "wrong account or password" }).waitFor();
  await b.fill("#password", "correct-horse");
  await b.click("#sign-in");
  await b.locator("#chat-form").waitFor({ state: "visible" });
  await b.locator("#status", { hasText: "connected as pia (signed in)" }).waitFor();
  await nc.waitFor("* pia joined (2 online)");
  await b.fill("#text", "hello, signed in");
  await b.click("#chat-form button");
  await nc.waitFor("[pia] hello, signed in");
  await b.fill("#text", "/logout");
  await b.click("#chat-form button");
  await b.locator("#log li", { hasText: "signed out of pia" }).waitFor();
  await b.locator("#status", { hasText: /^connected as pia$/ }).waitFor();
  if (await b.locator("#password").inputValue()) throw new Error("the password stayed in its box");
  console.log("ok: registered, refused, signed in and out on the page");
} finally {
  nc.end();
  await browser.close();
}
