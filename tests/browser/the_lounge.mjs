// The Lounge (a web IRC client, started by the Rust test) connected to
// linechat's IRC port and driven in Chromium, beside an nc-style client:
// the channel's user list, messages both ways, a topic, an action.
// Usage: node the_lounge.mjs LOUNGE_PORT CHAT_PORT
import { chromium } from "playwright-core";
import { launch, tcpClient, TIMEOUT } from "./lib.mjs";

const [loungePort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
const nc = tcpClient(chatPort);
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`http://127.0.0.1:${loungePort}/`);
  // Public mode: the connect form, already naming linechat's IRC port.
  await page.locator('input[name="nick"]').fill("lounger");
  await page.locator('form button[type="submit"]').click();
  // The channel's window (the one with a user list).
  const channel = page.locator("#chat");
  await channel.locator(".userlist").getByText("lounger", { exact: true }).waitFor();
  console.log("The Lounge joined #lobby");

  nc.send("ncuser");
  await nc.waitForStart("* ncuser joined");
  await channel.locator(".userlist").getByText("ncuser", { exact: true }).waitFor();
  nc.send("hello from nc");
  await channel.locator('.msg[data-from="ncuser"]', { hasText: "hello from nc" }).waitFor();
  console.log("nc's line shown by The Lounge");

  await page.locator("#input").fill("hello from The Lounge");
  await page.locator("#input").press("Enter");
  await nc.waitFor("[lounger] hello from The Lounge");
  await page.locator("#input").fill("/me waves");
  await page.locator("#input").press("Enter");
  await nc.waitFor("* lounger waves");
  console.log("The Lounge's lines reached nc");

  nc.send("/topic The Lounge meets nc");
  await page.locator(".header .topic", { hasText: "The Lounge meets nc" }).waitFor();
  console.log("topic shown");
  nc.send("/bye");
  await channel.locator(".userlist").getByText("ncuser", { exact: true }).waitFor({ state: "detached" });
  console.log("nc's quit seen");
} finally {
  nc.end();
  await browser.close();
}
