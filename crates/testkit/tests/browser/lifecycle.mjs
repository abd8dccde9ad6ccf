// The whole complaint lifecycle through the pages only, in a real browser
// (Debian's Chromium driven by playwright-core), as each role: register a
// right, verify it, name its mark, file a complaint from the finding the
// rescan makes, take the listing down, the seller's
// counter-notice, the reviewer accepts and forwards it, the escalation window
// lapses on the demo clock (moved on the admin page) and the listing is
// reinstated. Once in English, once in Chinese. Checks what each role may
// not see, and saves a screenshot of each main page.
//
// Environment: RG_BASE (server URL), RG_CHROMIUM, RG_PLAYWRIGHT_DIR,
// RG_SCREENSHOTS, RG_PASSWORD_SUFFIX (each user's password is user + suffix).
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const { chromium } = require(`${process.env.RG_PLAYWRIGHT_DIR}/playwright-core`);
const base = process.env.RG_BASE;
const shots = process.env.RG_SCREENSHOTS;
const suffix = process.env.RG_PASSWORD_SUFFIX;
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.RG_CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});

let shotCount = 0;
async function shot(page, name) {
  shotCount += 1;
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

const file = (name, text) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });

// One signed-in browser per user, in a language, at a width.
async function as(user, lang, width = 1280) {
  const context = await browser.newContext({
    locale: lang === 'zh' ? 'zh-CN' : 'en-US',
    extraHTTPHeaders: { 'Accept-Language': lang === 'zh' ? 'zh-CN,zh;q=0.9' : 'en-US,en;q=0.9' },
    viewport: { width, height: 900 },
  });
  const page = await context.newPage();
  const problems = [];
  // Console errors but the 403/404 answers this test asks for on purpose
  // (a CSP violation would show here as "Refused to ...").
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${base}/login`);
  await page.getByLabel(lang === 'zh' ? '用户名' : 'User id').fill(user);
  await page.getByLabel(lang === 'zh' ? '密码' : 'Password').fill(user + suffix);
  await Promise.all([page.waitForURL(`${base}/`), page.locator('form[action="/login"] button').click()]);
  return { page, context, problems };
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator(selector).click()]);
}

async function lifecycle(lang, n, listing, seller, other) {
  const zh = lang === 'zh';
  const t = (en, cn) => (zh ? cn : en);
  const right = `tm-web-${n}`;
  let complaint;

  // Rights holder: register a right with its certificate.
  const alice = await as('alice', lang);
  await alice.page.goto(`${base}/rights`);
  await alice.page.locator('#id').fill(right);
  await alice.page.locator('#jurisdiction').fill('CN');
  await alice.page.locator('#number').fill(`5555${n}`);
  await alice.page.locator('#classes').fill('25');
  await alice.page.locator('#valid_from').fill('2020-01-01');
  await alice.page.locator('#certificate').setInputFiles(file('certificate.txt', `Certificate of registration ${right}`));
  await submit(alice.page, 'form[action="/rights"] button[type=submit]');
  assert.match(await alice.page.content(), new RegExp(right));
  assert.match(await alice.page.content(), new RegExp(t('Awaiting verification', '待审核')));
  await shot(alice.page, `${lang}-rights-holder-rights`);

  // Reviewer: verify it.
  const rita = await as('rita', lang);
  await rita.page.goto(`${base}/review/rights`);
  await shot(rita.page, `${lang}-reviewer-rights-to-verify`);
  await submit(rita.page, `form[action="/rights/${right}/decision"] button[value=verify]`);

  // Rights holder: names the mark the right is monitored for; the rescan
  // (run from the admin page) finds the listings that use it.
  await alice.page.goto(`${base}/findings`);
  await alice.page.locator(`#mark-${right}`).fill('ACME');
  await submit(alice.page, `form[action="/rights/${right}/marks"] button`);
  const adam = await as('adam', lang);
  await adam.page.goto(`${base}/admin`);
  await submit(adam.page, 'form[action="/admin/jobs"] button');

  // Rights holder: files a complaint from the finding, the match
  // highlighted in the listing's text; nothing selected is an error.
  await alice.page.goto(`${base}/findings`);
  const finding = alice.page.locator('#findings tbody tr').filter({ hasText: right }).filter({ hasText: listing });
  assert.equal(await finding.count(), 1, `one finding of ${right} in ${listing}`);
  assert.match(await finding.locator('mark').innerText(), /A\.?C\.?M\.?E/);
  await submit(alice.page, '#complain');
  assert.match(await alice.page.locator('#findings-error').innerText(), new RegExp(t('Select at least one', '请至少选择')));
  await alice.page.locator('#findings tbody tr').filter({ hasText: right }).filter({ hasText: listing }).locator('input[type=checkbox]').check();
  await alice.page.locator('#reason').selectOption('counterfeit');
  await shot(alice.page, `${lang}-rights-holder-findings`);
  await submit(alice.page, '#complain');
  const filed = (await alice.page.locator('#filed').innerText()).trim().split(/\s+/).pop();
  assert.ok(filed, 'the filed complaint is named');
  complaint = filed;
  await alice.page.goto(`${base}/complaints/${complaint}`);
  assert.match(await alice.page.content(), new RegExp(t('Under review', '审核中')));
  // The hand-written complaint form is there too.
  await alice.page.goto(`${base}/complaints/new`);
  await shot(alice.page, `${lang}-rights-holder-file-complaint`);

  // Reviewer: the queue shows it with its SLA; take the listing down.
  await rita.page.goto(`${base}/review`);
  assert.match(await rita.page.content(), new RegExp(complaint));
  await shot(rita.page, `${lang}-reviewer-queue`);
  await rita.page.goto(`${base}/complaints/${complaint}`);
  // The registered mark beside the listing, its occurrence highlighted.
  assert.match(await rita.page.locator(`#item-${listing} .capture.registered .mark-text`).innerText(), /ACME/);
  assert.match(await rita.page.locator(`#item-${listing} .capture mark`).first().innerText(), /A\.?C\.?M\.?E/);
  await shot(rita.page, `${lang}-reviewer-complaint`);
  // A reason is required to reject: an empty one is refused beside the field.
  await submit(rita.page, `#item-${listing} button[value=reject]`);
  assert.equal(await rita.page.locator(`#item-${listing} .field-error`).count(), 1);
  await submit(rita.page, `#item-${listing} button[value=uphold]`);
  assert.match(await rita.page.content(), new RegExp(t('Taken down', '已删除')));

  // Seller: sees the takedown with its deadline and files a counter-notice.
  const sam = await as(seller, lang);
  await sam.page.goto(`${base}/complaints`);
  assert.match(await sam.page.content(), new RegExp(complaint));
  await shot(sam.page, `${lang}-seller-complaints`);
  await sam.page.goto(`${base}/complaints/${complaint}`);
  assert.match(await sam.page.content(), new RegExp(t('Counter-notice due', '反通知截止')));
  await sam.page.locator(`#statement-${listing}`).fill(t('We are an authorised reseller; invoice attached.', '我们是授权经销商，附发票。'));
  await sam.page.locator(`#cn-evidence-${listing}`).setInputFiles(file('invoice.txt', 'Invoice 2026-001'));
  await shot(sam.page, `${lang}-seller-counter-notice`);
  await submit(sam.page, `#item-${listing} button[value=counter_notice]`);
  assert.match(await sam.page.content(), new RegExp(t('Counter-notice to review', '反通知待审核')));
  await sam.page.goto(`${base}/standing`);
  await shot(sam.page, `${lang}-seller-penalty-record`);

  // Reviewer: accepts the counter-notice and confirms its delivery.
  await rita.page.goto(`${base}/review/counter-notices`);
  assert.match(await rita.page.content(), new RegExp(complaint));
  await shot(rita.page, `${lang}-reviewer-counter-notices`);
  await rita.page.goto(`${base}/complaints/${complaint}`);
  await rita.page.locator(`#cnreason-${listing}`).fill(t('Invoice checks out.', '发票属实。'));
  await submit(rita.page, `#item-${listing} button[value=cn_accept]`);
  await submit(rita.page, `#item-${listing} button[value=confirm_delivery]`);

  // Rights holder: the escalation countdown runs.
  await alice.page.goto(`${base}/complaints/${complaint}`);
  assert.match(await alice.page.content(), new RegExp(t('Escalation window ends', '维权期限截止')));
  await shot(alice.page, `${lang}-rights-holder-escalation-countdown`);

  // What others may not see.
  const stranger = await as(other, lang);
  const r = await stranger.page.goto(`${base}/complaints/${complaint}`);
  assert.equal(r.status(), 404);
  assert.equal((await sam.page.goto(`${base}/review`)).status(), 403);
  assert.equal((await alice.page.goto(`${base}/admin`)).status(), 403);
  assert.equal((await rita.page.goto(`${base}/admin`)).status(), 403);

  // Admin: the window lapses on the demo clock; the due job reinstates.
  await adam.page.goto(`${base}/admin`);
  await adam.page.locator('#days').fill('30');
  await submit(adam.page, 'form[action="/admin/clock"] button');
  assert.match(await adam.page.content(), new RegExp(t('Deadline jobs run', '已运行期限任务')));
  await shot(adam.page, `${lang}-admin`);

  // The transparency report: this run's notice shows as a table row and a bar.
  await adam.page.goto(`${base}/admin/transparency?from=2000-01-01&to=2100-12-31`);
  assert.match(await adam.page.locator('h1').innerText(), new RegExp(t('Transparency report', '透明度报告')));
  assert.ok((await adam.page.locator('svg.chart[role="img"]').count()) >= 9);
  assert.match(await adam.page.content(), new RegExp(`<title>${t('Counterfeit', '假冒')}: [1-9]`));
  await shot(adam.page, `${lang}-admin-transparency`);

  await alice.page.goto(`${base}/complaints/${complaint}`);
  assert.match(await alice.page.content(), new RegExp(t('Reinstated', '已恢复')));
  await shot(alice.page, `${lang}-rights-holder-reinstated`);
  await alice.page.goto(`${base}/complaints`);
  await shot(alice.page, `${lang}-rights-holder-complaints`);
  await alice.page.goto(`${base}/`);
  assert.match(await alice.page.content(), new RegExp(t('Takedowns that held', '删除成立比例')));
  assert.equal(await alice.page.locator('.charts svg.chart').count(), 3);
  await shot(alice.page, `${lang}-rights-holder-dashboard`);

  // Trademark clearance: a disguised copy of a registered mark is found,
  // with the reason; a bad class is shown beside its field, and what was
  // typed is kept.
  await alice.page.goto(`${base}/clearance`);
  await alice.page.locator('#mark').fill('Lum3n');
  await alice.page.locator('#classes').fill('25');
  await submit(alice.page, 'form[action="/clearance"] button');
  assert.match(await alice.page.locator('#conflicts').innerText(), /LUMEN/);
  assert.match(await alice.page.locator('#conflicts').innerText(), new RegExp(t('disguise', '伪装')));
  await shot(alice.page, `${lang}-clearance`);
  await alice.page.locator('#classes').fill('99');
  await submit(alice.page, 'form[action="/clearance"] button');
  assert.match(await alice.page.locator('#classes-error').innerText(), /99/);
  assert.equal(await alice.page.locator('#mark').inputValue(), 'Lum3n');
  await alice.page.locator('#mark').fill('Zebra Garden');
  await alice.page.locator('#classes').fill('');
  await submit(alice.page, 'form[action="/clearance"] button');
  await alice.page.locator('#no-conflicts').waitFor();

  // The same pages at phone width.
  const phone = await as('rita', lang, 390);
  for (const [path, name] of [[`/complaints/${complaint}`, 'complaint'], ['/admin/notifiers', 'notifier-cases'], ['/blocklist', 'blocklist']]) {
    await phone.page.goto(`${base}${path}`);
    await shot(phone.page, `${lang}-phone-${name}`);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} fits a phone (overflow ${overflow}px)`);
  }

  await platformPages(lang, right, seller, { alice, rita, sam, adam });

  // Sign out ends the session.
  await submit(alice.page, 'form[action="/logout"] button');
  await alice.page.goto(`${base}/complaints`);
  assert.equal(new URL(alice.page.url()).pathname, '/login');

  for (const who of [alice, rita, sam, stranger, adam, phone]) {
    assert.deepEqual(who.problems, [], 'no console errors (e.g. CSP violations)');
    await who.context.close();
  }
}

// The pages around the lifecycle: the blocklist (asked for, approved), a
// brand authorisation (put on file, seen by the seller), an Art. 23 case
// decided (seeded by browser.rs: `noisyco` decided in English, `spamco` in
// Chinese), the policy profiles, the exports, and the agent's principal.
async function platformPages(lang, right, seller, { alice, rita, sam, adam }) {
  const zh = lang === 'zh';
  const t = (en, cn) => (zh ? cn : en);
  const term = zh ? 'ACME鞋' : 'ACME';

  // Blocklist: the holder asks (a too-short term is refused beside the field, kept), the admin approves.
  await alice.page.goto(`${base}/blocklist`);
  await alice.page.locator('#bt-right').selectOption(right);
  await alice.page.locator('#bt-term').fill('A');
  await submit(alice.page, 'form[action="/blocklist"] button');
  assert.equal(await alice.page.locator('#bt-term-err').count(), 1);
  assert.equal(await alice.page.locator('#bt-term').inputValue(), 'A');
  await alice.page.locator('#bt-term').fill(term);
  await submit(alice.page, 'form[action="/blocklist"] button');
  const card = alice.page.locator('section.card').filter({ hasText: term }).filter({ hasText: right });
  assert.match(await card.innerText(), new RegExp(t('Awaiting an admin', '待管理员决定')));
  await shot(alice.page, `${lang}-rights-holder-blocklist`);
  await adam.page.goto(`${base}/blocklist`);
  await submit(adam.page, `section.card:has-text("${right}"):has-text("${term}") button[value=approve]`);
  assert.match(await adam.page.locator('section.card').filter({ hasText: right }).filter({ hasText: term }).innerText(), new RegExp(t('In force', '生效中')));
  await shot(adam.page, `${lang}-admin-blocklist`);
  assert.equal((await sam.page.goto(`${base}/blocklist`)).status(), 403);

  // A brand authorisation for the seller, with its licence.
  await alice.page.goto(`${base}/authorisations`);
  await alice.page.locator('#au-seller').fill(seller === 'sam' ? 'shop1' : 'shop2');
  await alice.page.locator('#au-right').selectOption(right);
  await submit(alice.page, 'form[action="/authorisations"] button');
  assert.equal(await alice.page.locator('#au-evidence-err').count(), 1, 'the licence is required');
  await alice.page.locator('#au-evidence').setInputFiles(file('licence.txt', `Licence ${right}`));
  await submit(alice.page, 'form[action="/authorisations"] button');
  await shot(alice.page, `${lang}-rights-holder-authorisations`);
  await sam.page.goto(`${base}/authorisations`);
  assert.match(await sam.page.locator('table').innerText(), new RegExp(right));
  await shot(sam.page, `${lang}-seller-authorisations`);

  // Art. 23: a reason is required; then the reviewer decides.
  const notifier = zh ? 'spamco' : 'noisyco';
  await rita.page.goto(`${base}/admin/notifiers`);
  await shot(rita.page, `${lang}-reviewer-notifier-cases`);
  await submit(rita.page, `#case-${notifier} button[value=suspend]`);
  assert.equal(await rita.page.locator(`#reason-err-${notifier}`).count(), 1);
  await rita.page.locator(`#reason-${notifier}`).fill(t('Mostly manifestly unfounded notices.', '大多为明显缺乏依据的通知。'));
  await submit(rita.page, `#case-${notifier} button[value=${zh ? 'dismiss' : 'suspend'}]`);
  assert.equal(await rita.page.locator(`#case-${notifier}`).count(), 0, 'decided');
  if (!zh) assert.match(await rita.page.locator('table').innerText(), /noisyco/);

  // Policy profiles and exports.
  await adam.page.goto(`${base}/admin/policies`);
  assert.match(await adam.page.content(), /complaints\.review_sla_business_days/);
  await shot(adam.page, `${lang}-admin-policies`);
  await adam.page.goto(`${base}/exports`);
  await shot(adam.page, `${lang}-admin-exports`);
  const csv = await adam.page.request.get(`${base}/exports/complaints.csv`);
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /^complaint_id,/);

  // The agent picks the principal it files for.
  const ann = await as('ann', lang);
  await ann.page.goto(`${base}/complaints/new`);
  await ann.page.locator('#principal').selectOption('rival');
  await submit(ann.page, 'form[action="/principal"] button');
  assert.match(await ann.page.locator('.me').innerText(), /→ rival/);
  assert.equal(await ann.page.locator('#right option[value="tm-lumen"]').count(), 1, "rival's right to file with");
  await shot(ann.page, `${lang}-agent-principal`);
  await ann.page.locator('#principal').selectOption('acme');
  await submit(ann.page, 'form[action="/principal"] button');
  assert.deepEqual(ann.problems, []);
  await ann.context.close();
}

// Stored evidence opened in the browser runs no script: each file comes
// back as an attachment (a download, never rendered), with nosniff and a
// sandboxing CSP, and no dialog opens and no title changes.
async function hostileEvidence() {
  const alice = await as('alice', 'en');
  const dialogs = [];
  alice.page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  for (const sha of (process.env.RG_HOSTILE_EVIDENCE || '').split(',').filter(Boolean)) {
    const url = `${base}/evidence/${sha}`;
    const head = await alice.page.request.get(url);
    assert.equal(head.status(), 200, url);
    const h = head.headers();
    assert.match(h['content-disposition'] || '', /^attachment/, `${url} is an attachment`);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.match(h['content-security-policy'] || '', /sandbox/);
    assert.doesNotMatch(h['content-type'] || '', /html|svg|javascript|xml/);
    await alice.page.goto(`${base}/`);
    const download = alice.page.waitForEvent('download', { timeout: 10000 });
    await alice.page.goto(url).catch(() => {}); // "Download is starting": not rendered
    await download;
    assert.notEqual(await alice.page.title(), 'PWNED');
  }
  assert.deepEqual(dialogs, [], 'no script ran');
  assert.deepEqual(alice.problems, []);
  await alice.context.close();
}

// Image monitoring on the findings page: the holder adds a reference
// image to its right (a thumbnail; a file that is not an image is refused
// with the decoder's reason), the rescan finds the listing showing a
// cropped copy, and the finding shows both pictures with their distance.
async function imageMonitoring(lang, right) {
  const zh = lang === 'zh';
  const alice = await as('alice', lang);
  await alice.page.goto(`${base}/findings`);
  await alice.page.locator(`#image-${right}`).setInputFiles(file('notes.txt', 'not a picture'));
  await submit(alice.page, `form[action="/rights/${right}/images"] button`);
  assert.match(await alice.page.locator('#findings-error').innerText(), zh ? /图片被拒绝/ : /image was refused.*unrecognised image format/);
  await alice.page.locator(`#image-${right}`).setInputFiles(process.env.RG_REFERENCE_IMAGE);
  await submit(alice.page, `form[action="/rights/${right}/images"] button`);
  const thumbs = alice.page.locator(`#images-${right} img`);
  assert.equal(await thumbs.count(), 1, 'one reference image');
  assert.ok(await thumbs.first().evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail loads');
  await shot(alice.page, `${lang}-rights-holder-reference-images`);
  const adam = await as('adam', lang);
  await adam.page.goto(`${base}/admin`);
  await submit(adam.page, 'form[action="/admin/jobs"] button');
  await alice.page.goto(`${base}/findings`);
  const row = alice.page.locator('#findings tbody tr').filter({ hasText: 'L3' }).filter({ hasText: right });
  assert.equal(await row.count(), 1, 'one image finding of L3');
  assert.match(await row.locator('.distance').innerText(), /^\d+$/);
  const pictures = row.locator('.image-match img');
  assert.equal(await pictures.count(), 2, 'both pictures');
  for (const img of await pictures.all()) {
    await img.scrollIntoViewIfNeeded();
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the picture loads');
  }
  await row.scrollIntoViewIfNeeded();
  await shot(alice.page, `${lang}-rights-holder-image-finding`);
  assert.deepEqual(alice.problems, []);
  await alice.context.close();
  await adam.context.close();
}

try {
  await hostileEvidence();
  await lifecycle('en', 1, 'L1', 'sam', 'sue');
  await lifecycle('zh', 2, 'L2', 'sue', 'sam');
  await imageMonitoring('en', 'tm-web-1');
  console.log(`browser lifecycle passed; ${shotCount} screenshots in ${shots}`);
} finally {
  await browser.close();
}
