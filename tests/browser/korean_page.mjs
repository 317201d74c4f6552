// The chat page in Korean: chosen from the browser's language, its labels
// and the server's words in Korean, an nc user beside it in English, and
// the page's own menu switching back to English.
// Usage: node korean_page.mjs WEB_PORT CHAT_PORT   (SCREENSHOT: where to keep a picture)
import { chromium } from "playwright-core";
import { tcpClient, launch, openPage, joinAs } from "./lib.mjs";

const [webPort, chatPort] = process.argv.slice(2).map(Number);
const browser = await launch(chromium);
const expect = async (page, selector, text) => {
  const el = page.locator(selector, { hasText: text });
  try {
    await el.first().waitFor();
  } catch (e) {
    throw new Error(`${selector} never showed ${JSON.stringify(text)}: ${await page.locator("body").innerText()}`);
  }
};
const nc = tcpClient(chatPort);
try {
  const ko = await browser.newContext({ locale: "ko-KR" });
  nc.send("ncuser");
  await nc.waitFor("* ncuser joined (1 online)");

  const page = await openPage(ko, webPort);
  // The labels, from the browser's language.
  if ((await page.getAttribute("html", "lang")) !== "ko") throw new Error("the page is not in Korean");
  await expect(page, "aside h2", "대화방");
  await expect(page, "#join", "입장");
  await expect(page, "#sign-in", "로그인");
  const placeholder = await page.getAttribute("#nick", "placeholder");
  if (placeholder !== "채팅 닉네임을 입력하세요") throw new Error(`placeholder: ${placeholder}`);
  if ((await page.inputValue("#lang")) !== "ko") throw new Error("the menu does not show Korean");
  // The server greets in Korean too (the page asked for it on /ws).
  await expect(page, "#log li", "linechat에 오신 것을 환영합니다");

  await joinAs(page, "영희");
  await expect(page, "#log li", "[영희]님이 입장했습니다. (현재 2명 참여 중)");
  await expect(page, "#status", "영희(으)로 연결됨");
  await nc.waitFor("* 영희 joined (2 online)");
  nc.send("안녕하세요, 영희 님");
  await expect(page, "#log li", "ncuser: 안녕하세요, 영희 님");
  await page.fill("#text", "반갑습니다");
  await page.click("#chat-form button");
  await nc.waitFor("[영희] 반갑습니다");

  // The server's errors in Korean: a taken nickname on a second page.
  const late = await openPage(ko, webPort);
  await late.fill("#nick", "영희");
  await late.click("#join");
  await expect(late, "#nick-error", "'영희'은(는) 이미 쓰이고 있는 닉네임입니다");
  await page.screenshot({ path: process.env.SCREENSHOT || "/tmp/linechat-page-ko.png" });

  // The menu: English from now on, labels and the server's words alike.
  await late.selectOption("#lang", "en");
  await expect(late, "aside h2", "Rooms");
  await expect(late, "#join", "Join");
  await late.fill("#nick", "영희");
  await late.click("#join");
  await expect(late, "#nick-error", "'영희' is already in use");
  // The choice is remembered by this browser.
  const again = await openPage(ko, webPort);
  await expect(again, "aside h2", "Rooms");
  console.log("ok: the page in Korean, the server's words in Korean, and back to English");
} finally {
  nc.end();
  await browser.close();
}
