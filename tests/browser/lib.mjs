// Shared helpers for the browser tests: an nc-style line client, Chromium,
// and the chat page's forms.
import net from "node:net";

export const TIMEOUT = 15000;

// A line client like nc: collects lines, waits for one.
export function tcpClient(port) {
  const sock = net.connect(port, "127.0.0.1");
  // A server killed on purpose resets its connections: not an error here.
  sock.on("error", () => {});
  const lines = [];
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      // IRC's CRLF too: lines are kept without their line ending.
      lines.push(buf.slice(0, i).replace(/\r$/, ""));
      buf = buf.slice(i + 1);
    }
  });
  // Waits for a line for which `test` holds; returns it.
  async function waitUntil(test, what) {
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const found = lines.find(test);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`client never got ${what}; got ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    lines,
    send: (line) => sock.write(line + "\n"),
    waitUntil,
    waitFor: (line) => waitUntil((l) => l === line, JSON.stringify(line)),
    // Waits for a line starting with `prefix`; returns it.
    waitForStart: (prefix) => waitUntil((l) => l.startsWith(prefix), `a line starting ${JSON.stringify(prefix)}`),
    end: () => sock.end(),
  };
}

export function launch(chromium) {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// Opens the chat page and waits for its WebSocket.
export async function openPage(ctx, webPort) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`http://127.0.0.1:${webPort}/`);
  await page.locator('#status[data-state="connected"]').waitFor();
  return page;
}

export async function joinAs(page, nick) {
  await page.fill("#nick", nick);
  await page.click("#join");
  await page.locator("#chat-form").waitFor({ state: "visible" });
}

export async function say(page, text) {
  await page.fill("#text", text);
  await page.click("#chat-form button");
}
