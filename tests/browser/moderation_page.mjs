// Moderation on the chat page: the room's creator is marked @ in the people
// list and gets kick, ban and mute buttons beside the others; an nc user in
// the room is muted, then kicked back to the lobby, by clicks; signed in, it
// registers the room by a click, and an nc user who signs in finds it taken.
// Usage: node moderation_page.mjs WEB_PORT CHAT_PORT   (Chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import { tcpClient, launch, openPage, joinAs, say } from "./lib.mjs";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
const nc = tcpClient(chatPort);
try {
  const ctx = await browser.newContext();
  const page = await openPage(ctx, webPort);
  await page.fill("#nick", "moda");
  await page.fill("#password", "correct-horse");
  await page.click("#register");
  await page.locator("#status", { hasText: "connected as moda (signed in)" }).waitFor();
  await say(page, "/join #stage");
  await page.locator("#people li", { hasText: "@moda (you)" }).waitFor();
  // Signed in and its operator: the room can be registered.
  await page.click("#claim");
  await page.locator("#log li", { hasText: "#stage is now registered to moda" }).waitFor();

  nc.send("ncm");
  await nc.waitFor("* ncm joined (2 online)");
  nc.send("/join #stage");
  await nc.waitFor("* ncm joined #stage (2 online)");
  const row = page.locator("#people li", { hasText: "ncm" });
  await row.locator("button.mute").click();
  const muted = await nc.waitForStart("* moda muted ncm!*@* in #stage until ");
  if (!muted.endsWith(" UTC")) throw new Error(`a mute line without its end: ${muted}`);
  await page.locator("#log li", { hasText: "moda muted ncm!*@* in #stage" }).waitFor();
  nc.send("may I?");
  await nc.waitFor("! cannot-speak: you cannot speak in #stage (it is moderated, or you are muted)");
  await row.locator("button.kick").click();
  await nc.waitFor("* moda kicked ncm from #stage");
  await nc.waitFor("* ncm joined (2 online)");
  await page.locator("#log li", { hasText: "moda kicked ncm from #stage" }).waitFor();
  await page.locator("#people li", { hasText: "ncm" }).waitFor({ state: "detached" });
  nc.send("/register battery-staple");
  await nc.waitForStart("* registered the account ncm");
  nc.send("/claim #stage");
  await nc.waitFor("! not-in-room: you are not in #stage");
  nc.send("/join #stage");
  await nc.waitFor("* ncm joined #stage (2 online)");
  nc.send("/claim");
  await nc.waitFor("! bad-args: #stage is already registered to moda");
  console.log("ok: the page marked its operator, muted and kicked by clicks, and registered the room");
} finally {
  nc.end();
  await browser.close();
}
