// Drive the sandbox chat page in headless Chromium (Debian's /usr/bin/chromium via
// playwright-core): send /start, tap a main-menu button, ask a question, check the answer,
// and save screenshots. Run by tests/sandbox/test_browser.py against a sandbox it started:
//
//   node tests/browser/sandbox_check.mjs http://127.0.0.1:PORT [OUT_DIR, default bench/out/sandbox]
//
// Prints one JSON line per step; exits non-zero with the reason on the first failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, outDir = 'bench/out/sandbox'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node sandbox_check.mjs URL [OUT_DIR]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const TIMEOUT = 15000;
const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }));
const fail = (message) => { throw new Error(message); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const pageErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 400, height: 780 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });

  await page.goto(url);
  await page.waitForSelector('#personas .persona >> nth=2');
  const labels = await page.locator('#personas .p-title').allInnerTexts();
  for (const want of ['Thành viên HTX', 'Cán bộ hỗ trợ', 'Quản trị viên']) {
    if (!labels.includes(want)) fail(`persona ${want} missing: ${labels}`);
  }
  if ((await page.getAttribute('#input', 'placeholder')) !== 'Nhập tin nhắn…') fail('input placeholder');
  step('page', { labels });

  // The sanitiser keeps Telegram's tags only; everything else stays literal text.
  const sanitised = await page.evaluate(() => {
    const box = document.createElement('div');
    box.append(window.HTXSandbox.renderHtml(
      '<b>đậm</b> <i>nghiêng</i> <tg-spoiler>ẩn</tg-spoiler> <a href="https://example.org">link</a>'
      + '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'
      + '<a href="javascript:window.pwned=1">js</a> &lt;b&gt; <pre><code class="language-python">x&amp;y</code></pre>',
    ));
    return {
      bold: box.querySelector('b')?.textContent,
      italic: box.querySelector('i')?.textContent,
      spoiler: box.querySelector('.spoiler')?.textContent,
      link: box.querySelector('a')?.getAttribute('href'),
      links: box.querySelectorAll('a').length,
      dangerous: box.querySelectorAll('script, img, [onerror]').length,
      lang: box.querySelector('pre code')?.dataset.lang,
      code: box.querySelector('pre code')?.textContent,
      text: box.textContent,
      pwned: window.pwned === 1,
    };
  });
  const s = sanitised;
  if (s.bold !== 'đậm' || s.italic !== 'nghiêng' || s.spoiler !== 'ẩn') fail(`formatting: ${JSON.stringify(s)}`);
  if (s.link !== 'https://example.org' || s.links !== 1) fail(`links: ${JSON.stringify(s)}`);
  if (s.dangerous || s.pwned) fail(`unsafe markup survived: ${JSON.stringify(s)}`);
  if (!s.text.includes('<script>') || !s.text.includes('<b>')) fail(`markup not kept as text: ${s.text}`);
  if (s.lang !== 'python' || s.code !== 'x&y') fail(`pre/code: ${JSON.stringify(s)}`);
  step('sanitiser');

  // /start: the greeting with the main menu.
  const lastId = () => page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.row')].map((r) => Number(r.dataset.id))));
  const newBotRow = async (after, buttonText) => {
    await page.waitForFunction(([id, label]) => [...document.querySelectorAll('.row.in')].some(
      (row) => Number(row.dataset.id) > id && [...row.querySelectorAll('.kb-btn')].some((b) => b.textContent.includes(label))),
    [after, buttonText]);
    return page.locator('.row.in', { has: page.locator('.kb-btn', { hasText: buttonText }) }).last();
  };
  let since = await lastId();
  await page.fill('#input', '/start');
  await page.press('#input', 'Enter');
  const menuRow = await newBotRow(since, 'Đăng ký nhãn hiệu');
  const greeting = await menuRow.locator('.text').innerText();
  if (!/Xin chào/.test(greeting)) fail(`greeting: ${greeting}`);
  if ((await menuRow.locator('.text b').count()) === 0) fail('no bold text rendered');
  step('start', { greeting: greeting.slice(0, 60) });
  await page.screenshot({ path: join(outDir, 'sandbox-start.png') });

  // Tap a main-menu button: the topic's questions arrive as buttons.
  const menuId = Number(await menuRow.getAttribute('data-id'));
  await page.locator(`.row[data-id="${menuId}"] .kb-btn`, { hasText: 'Đăng ký nhãn hiệu' }).click();
  await page.waitForFunction((id) => [...document.querySelectorAll('.row.in')].some(
    (row) => Number(row.dataset.id) > id && /Đăng ký nhãn hiệu/.test(row.querySelector('.text b')?.textContent || '')
      && row.querySelector('.kb-btn')), menuId);
  const topic = await page.locator('.row.in .text').last().innerText();
  step('button', { topic: topic.slice(0, 60) });

  // A question typed in Vietnamese: the curated answer arrives.
  since = await lastId();
  await page.fill('#input', 'lệ phí đăng ký nhãn hiệu');
  await page.press('#input', 'Enter');
  await page.waitForFunction((id) => [...document.querySelectorAll('.row.out')].some(
    (row) => Number(row.dataset.id) > id && row.textContent.includes('lệ phí đăng ký nhãn hiệu')), since);
  const answerRow = await newBotRow(since, '👍');
  const answerText = await answerRow.locator('.text').innerText();
  if (!/Lệ phí/.test(answerText) || !answerText.includes('1.360.000')) fail(`answer: ${answerText}`);
  step('answer', { answer: answerText.slice(0, 80) });
  await page.screenshot({ path: join(outDir, 'sandbox-answer.png') });

  // 👍 under the answer: answerCallbackQuery's text shows as a toast.
  await answerRow.locator('.kb-btn', { hasText: '👍' }).click();
  await page.locator('#toast:not([hidden])').waitFor();
  const toastText = await page.locator('#toast').innerText();
  if (!toastText.trim()) fail('empty toast');
  step('toast', { toast: toastText });

  // A pager button edits its message in place (same message, no new row).
  since = await lastId();
  const before = await page.locator('.row').count();
  await page.fill('#input', '/menu');
  await page.press('#input', 'Enter');
  const lastMenu = await newBotRow(since, 'Chuyển đổi số');
  since = await lastId();
  await lastMenu.locator('.kb-btn', { hasText: 'Chuyển đổi số' }).click();
  const pagerRow = await newBotRow(since, '▶');
  const pagerId = await pagerRow.getAttribute('data-id');
  const firstPage = await pagerRow.locator('.kb-btn').first().innerText();
  const rowsBefore = await page.locator('.row').count();
  if (rowsBefore !== before + 3) fail(`expected /menu, the menu and the topic as new rows: ${before} -> ${rowsBefore}`);
  await pagerRow.locator('.kb-btn', { hasText: '▶' }).click();
  await page.waitForFunction(([id, first]) => {
    const row = document.querySelector(`.row[data-id="${id}"]`);
    return row && row.querySelector('.kb-btn')?.textContent !== first && row.querySelector('.bubble.edited');
  }, [pagerId, firstPage]);
  if ((await page.locator('.row').count()) !== rowsBefore) fail('an edit added a message instead of replacing it');
  step('edit');
  await page.screenshot({ path: join(outDir, 'sandbox-edit.png') });

  // A cross-reference inside an answer opens that entry in the bot (a t.me link to the bot
  // itself becomes "/start e_<id>", as in Telegram).
  since = await lastId();
  await page.fill('#input', 'thuong hieu va nhan hieu co phai mot khong');
  await page.press('#input', 'Enter');
  const linkedRow = await newBotRow(since, '👍');
  const crossRef = linkedRow.locator('.text a[href*="t.me/"]').first();
  since = await lastId();
  await crossRef.click();
  await page.waitForFunction((id) => [...document.querySelectorAll('.row.out')].some(
    (row) => Number(row.dataset.id) > id && row.textContent.includes('/start e_')), since);
  await newBotRow(since, '👍');
  step('cross-reference');

  // A paste longer than a Telegram message goes out as two messages, as Telegram sends it.
  since = await lastId();
  await page.fill('#input', 'đăng ký nhãn hiệu '.repeat(300));
  await page.press('#input', 'Enter');
  await page.waitForFunction((id) => [...document.querySelectorAll('.row.out')].filter(
    (row) => Number(row.dataset.id) > id).length === 2, since);
  step('long paste');

  // Another persona has its own chat and the admin's command menu.
  await page.click('#personas .persona[data-role="admin"]');
  await page.locator('#empty').waitFor();
  await page.click('#menu-btn');
  await page.locator('#commands .cmd-name', { hasText: '/reload' }).waitFor();
  await page.screenshot({ path: join(outDir, 'sandbox-admin-menu.png') });
  await page.keyboard.press('Escape');
  await page.click('#personas .persona[data-role="member"]');
  await page.locator('.row.in .text', { hasText: '1.360.000' }).last().waitFor();
  step('personas');

  if (pageErrors.length) fail(`errors in the page: ${pageErrors.join(' | ')}`);
  step('done', { screenshots: outDir });
} finally {
  await browser.close();
}
