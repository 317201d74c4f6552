// The chat page over https (linechat's own TLS) in Chromium, chatting over
// wss:// with an nc-style client on the plain chat port.
// Usage: node https_page.mjs HTTPS_PORT CHAT_PORT
import { chromium } from "playwright-core";
import { tcpClient, launch, joinAs, say, TIMEOUT } from "./lib.mjs";

const [httpsPort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
try {
  // The test's CA is not in Chromium's store: accept it for this context only.
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`https://localhost:${httpsPort}/`);
  await page.locator("#status", { hasText: "connected" }).waitFor();
  const nc = tcpClient(chatPort);
  nc.send("ncuser");
  await nc.waitFor("* ncuser joined (1 online)");
  await joinAs(page, "secureweb");
  await nc.waitFor("* secureweb joined (2 online)");
  await say(page, "hello from https");
  await nc.waitFor("[secureweb] hello from https");
  nc.send("hi secure page");
  await page.locator("#log li:visible", { hasText: "ncuser: hi secure page" }).waitFor();
  if (!page.url().startsWith("https://")) throw new Error(`not over https: ${page.url()}`);
  nc.end();
  console.log("ok: the chat page over https and wss:// chatted with an nc user");
} finally {
  await browser.close();
}
