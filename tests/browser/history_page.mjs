// History on the chat page: each line shows its time; the latest lines show
// on joining and older ones load when the log is scrolled to the top; after a
// dropped connection and after a server restart (with --db) the page catches
// up with what was said meanwhile, leaving no hole.
// Usage: node history_page.mjs WEB_PORT CHAT_PORT   (Chromium at /usr/bin/chromium)
// Prints RESTART when the server should be restarted on the same ports; the
// test harness writes a line to stdin once it has, having said
// "while away 1..3" in #lobby meanwhile.
import readline from "node:readline";
import { chromium } from "playwright-core";
import { tcpClient, launch, openPage, joinAs, TIMEOUT } from "./lib.mjs";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const stdin = readline.createInterface({ input: process.stdin });
const nextInput = () => new Promise((resolve) => stdin.once("line", resolve));

const shown = (page, text) => page.locator("#log li:visible", { hasText: text }).first();
async function order(page, texts) {
  const all = await page.locator("#log li:visible").allTextContents();
  const at = texts.map((t) => all.findIndex((line) => line.includes(t)));
  if (at.some((i) => i < 0) || at.some((i, n) => n > 0 && i <= at[n - 1])) {
    throw new Error(`lines out of order or missing: ${JSON.stringify(texts)} at ${JSON.stringify(at)} in ${JSON.stringify(all)}`);
  }
}
async function scrollToTop(page) {
  await page.evaluate(() => {
    const box = document.getElementById("log");
    box.scrollTop = 0;
    box.dispatchEvent(new Event("scroll"));
  });
}

const browser = await launch(chromium);
try {
  const nc = tcpClient(chatPort);
  nc.send("nc");
  await nc.waitFor("* nc joined (1 online)");
  for (let i = 0; i < 120; i++) nc.send(`old ${i}`);
  await nc.waitFor("[nc] old 119");

  const ctx = await browser.newContext();
  const page = await openPage(ctx, webPort);
  await joinAs(page, "pat");
  // The latest lines, each with its time.
  await shown(page, "nc: old 119").waitFor();
  await shown(page, "nc: old 70").waitFor();
  if (await page.locator("#log li", { hasText: "nc: old 69" }).count()) throw new Error("more than a page shown at first");
  const time = await shown(page, "nc: old 119").locator(".time").textContent();
  if (!/\d{1,2}[:.]\d\d/.test(time)) throw new Error(`no time on a line: ${JSON.stringify(time)}`);

  // Older lines load when the log is scrolled to the top, and the top says
  // where the room began.
  await scrollToTop(page);
  await page.locator("#log li", { hasText: "nc: old 20" }).first().waitFor({ state: "attached" });
  await scrollToTop(page);
  await page.locator("#log li", { hasText: "nc: old 0" }).first().waitFor({ state: "attached" });
  await page.locator("#log li", { hasText: "the beginning of #lobby" }).waitFor({ state: "attached" });
  await order(page, ["nc: old 0", "nc: old 19", "nc: old 20", "nc: old 69", "nc: old 70", "nc: old 119"]);

  // A dropped connection: what is said meanwhile comes back once reconnected.
  nc.send("before the drop");
  await shown(page, "nc: before the drop").waitFor();
  await page.evaluate(() => ws.close());
  nc.send("during the drop");
  await page.locator("#status", { hasText: "connected as pat" }).waitFor();
  await shown(page, "nc: during the drop").waitFor();
  nc.send("after the drop");
  await shown(page, "nc: after the drop").waitFor();
  await order(page, ["nc: before the drop", "nc: during the drop", "nc: after the drop"]);

  // A server restart (with --db): the same, from the file.
  nc.send("before the restart");
  await shown(page, "nc: before the restart").waitFor();
  console.log("RESTART");
  await nextInput();
  await page.locator("#status", { hasText: "connected as pat" }).waitFor({ timeout: TIMEOUT });
  await shown(page, "while away 3").waitFor();
  const nc2 = tcpClient(chatPort);
  nc2.send("nc2");
  await nc2.waitFor("* nc2 joined (2 online)");
  nc2.send("after the restart");
  await shown(page, "nc2: after the restart").waitFor();
  await order(page, ["nc: before the restart", "away: while away 1", "away: while away 2", "away: while away 3", "nc2: after the restart"]);
  nc2.end();
  nc.end();
  console.log("ok: times, scrollback, and no hole after a drop or a restart");
} finally {
  await browser.close();
  stdin.close();
}
