// What a member and an officer see on a phone, in both languages: the member's assessment
// result, the officer's /stats and a notice as received, in a 390x844 page of the sandbox.
// Run by tests/sandbox/test_browser.py against a sandbox it started:
//
//   node tests/browser/phone_screens.mjs http://127.0.0.1:PORT [OUT_DIR, default bench/out/phone]
//
// Prints one JSON line per step; exits non-zero with the reason on the first failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, outDir = 'bench/out/phone'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node phone_screens.mjs URL [OUT_DIR]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }));
const fail = (message) => { throw new Error(message); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const pageErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (err) => pageErrors.push(String(err)));

  const lastId = () => page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.row')].map((r) => Number(r.dataset.id))));
  /** The newest bot message after `since` whose text matches `pattern`. */
  const botRow = async (since, pattern) => {
    await page.waitForFunction(([id, source]) => [...document.querySelectorAll('.row.in')].some(
      (row) => Number(row.dataset.id) > id && new RegExp(source).test(row.textContent)), [since, pattern.source]);
    const rows = page.locator('.row.in', { hasText: pattern });
    return rows.last();
  };
  const say = async (text, reply) => {
    const since = await lastId();
    await page.fill('#input', text);
    await page.press('#input', 'Enter');
    return reply ? botRow(since, reply) : null;
  };
  const tap = async (row, label) => {
    const since = await lastId();
    await row.locator('.kb-btn', { hasText: label }).first().click();
    return since;
  };
  const persona = async (role) => {
    await page.click(`#personas .persona[data-role="${role}"]`);
    await page.waitForTimeout(300);
  };
  const shot = async (row, name) => {
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(outDir, name) });
    step('screenshot', { name });
  };

  /** Answer every question with its last (strongest but one) option until the result comes. */
  const assess = async (start, resultWord) => {
    const intro = await say('/assess', start);
    let since = await tap(intro, start);
    for (let n = 0; n < 30; n += 1) {
      const question = await botRow(since - 1, /\d+\/\d+/);
      const options = question.locator('.kb-btn').filter({ hasNotText: /⏸|◀/ });
      const count = await options.count();
      if (!count) break;
      since = await lastId();
      await options.nth(Math.max(0, count - 2)).click();
      const done = await page.waitForFunction(([id, word]) => [...document.querySelectorAll('.row.in')].some(
        (row) => Number(row.dataset.id) > id && row.textContent.includes(word)), [since, resultWord], { timeout: 1500 })
        .then(() => true, () => false);
      if (done) break;
    }
    return botRow(0, new RegExp(resultWord));
  };

  await page.goto(url);
  await page.waitForSelector('#personas .persona >> nth=2');
  await persona('member');
  const hello = await say('/start', /Đồng ý|Xin chào/);
  await botRow(await tap(hello, 'Đồng ý'), /Cảm ơn bạn đã đồng ý/);  // consent before a profile is stored
  await say('/register', /Tên hợp tác xã/);
  await say('HTX Rau sạch Phú Vang', /tỉnh, thành phố/);
  const sectors = await say('Huế', /lĩnh vực/);
  await tap(sectors, 'Nông nghiệp');
  await botRow(0, /bao nhiêu \*?thành viên|thành viên\*?\?/);
  await say('25', /HTX Rau sạch Phú Vang/);
  step('registered');

  const resultVi = await assess('Bắt đầu', 'Kết quả');
  if (/(^|\s)\/\d/.test(await resultVi.innerText())) fail('a score reads as a command');
  await shot(resultVi, 'phone-result-vi.png');
  await say('/lang en', /English|menu/i);
  const resultEn = await assess('Start', 'Result');
  await shot(resultEn, 'phone-result-en.png');

  await persona('admin');
  await say('/start', /Hello|Xin chào/);
  await shot(await say('/stats', /Số liệu/), 'phone-stats-vi.png');
  await say('/lang en', /English|menu/i);
  await shot(await say('/stats', /Statistics/), 'phone-stats-en.png');
  await say('/lang vi', /tiếng Việt/);

  await say('/broadcast', /nội dung thông báo/);
  const audience = await say('**Tập huấn bán hàng online** sáng thứ Bảy tại Liên minh HTX tỉnh.', /Xem trước/);
  await tap(audience, 'Xem trước');
  const confirm = await botRow(0, /Gửi ngay/);
  await tap(confirm, 'Gửi ngay');
  await page.waitForTimeout(1500);
  await persona('member');
  const noticeEn = await botRow(0, /Tập huấn bán hàng online/);
  await shot(noticeEn, 'phone-notice-en.png');
  await say('/lang vi', /tiếng Việt/);
  await shot(await botRow(0, /Tập huấn bán hàng online/), 'phone-notice-vi.png');

  if (pageErrors.length) fail(`errors in the page: ${pageErrors.join(' | ')}`);
  step('done', { screenshots: outDir });
} finally {
  await browser.close();
}
