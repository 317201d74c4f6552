// Two browser pages and one nc-style TCP client chat through linechat.
// Usage: node two_pages.mjs WEB_PORT CHAT_PORT   (Chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import net from "node:net";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const base = `http://127.0.0.1:${webPort}/`;
const TIMEOUT = 15000;

// A line client like nc: collects lines, waits for one.
function tcpClient(port) {
  const sock = net.connect(port, "127.0.0.1");
  const lines = [];
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return {
    send: (line) => sock.write(line + "\n"),
    async waitFor(line) {
      const deadline = Date.now() + TIMEOUT;
      while (!lines.includes(line)) {
        if (Date.now() > deadline) throw new Error(`nc client never got ${JSON.stringify(line)}; got ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    end: () => sock.end(),
  };
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const ctx = await browser.newContext();
  const ann = await ctx.newPage();
  const ben = await ctx.newPage();
  for (const p of [ann, ben]) {
    p.setDefaultTimeout(TIMEOUT);
    await p.goto(base);
    await p.locator("#status", { hasText: "connected" }).waitFor();
  }
  const nc = tcpClient(chatPort);
  nc.send("ncuser");
  await nc.waitFor("* ncuser joined (1 online)");

  async function join(page, nick) {
    await page.fill("#nick", nick);
    await page.click("#nick-form button");
    await page.locator("#chat-form").waitFor({ state: "visible" });
  }
  await join(ann, "ann");
  await join(ben, "ben");
  await nc.waitFor("* ben joined (3 online)");
  // Everyone sees the joins and the online list.
  await ann.locator("#log li", { hasText: "ben joined (3 online)" }).waitFor();
  await ann.locator("#people li", { hasText: "ncuser" }).waitFor();
  await ben.locator("#people li", { hasText: "ann" }).waitFor();

  // A taken nickname is reported on the page.
  const late = await ctx.newPage();
  late.setDefaultTimeout(TIMEOUT);
  await late.goto(base);
  await late.locator("#status", { hasText: "connected" }).waitFor();
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
