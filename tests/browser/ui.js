// Drives the web UI in Debian's Chromium (headless, fresh profile) with playwright-core, and
// checks every page it visits with axe-core: no serious or critical violation, every control
// reachable by keyboard, nothing requested from another origin. Called by tests/browser.rs:
//
//   node tests/browser/ui.js BASE_URL SCENARIO OUT_DIR
//
// Prints one JSON line (what the scenario saw) and exits 0, or prints why and exits 1.
// playwright-core and axe-core come from NODE_PATH (installed by .ci/run outside the clone).
"use strict";
const path = require("path");
const fs = require("fs");
const { chromium } = require("playwright-core");

const [base, scenario, out] = process.argv.slice(2);
const CHROMIUM = process.env.CROSSWALK_CHROMIUM || "/usr/bin/chromium";
const AXE = require.resolve("axe-core/axe.min.js");
fs.mkdirSync(out, { recursive: true });

function fail(message) {
  const error = new Error(message);
  error.expected = true;
  throw error;
}

function check(condition, message) {
  if (!condition) fail(message);
}

const seen = { pages: [], violations: [], outside: [] };

async function audit(page, name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  seen.pages.push(name);
  if (bad.length) seen.violations.push({ page: name, violations: bad });
  return bad;
}

// Tabs through the page and checks that every visible control got the focus.
async function keyboard(page, name, limit = 400) {
  const total = await page.evaluate(() => {
    // Elements taken out of the tab order on purpose (tabindex=-1, as ARIA tab lists do for
    // their inactive tabs, reached with the arrow keys) are not expected.
    const controls = Array.from(document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]"))
      .filter((el) => el.getAttribute("tabindex") !== "-1" && !el.disabled);
    let n = 0;
    for (const el of controls) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      const hidden = (r.width === 0 && r.height === 0) || style.visibility === "hidden" || el.closest("[hidden]");
      // Controls inside a closed <details> are reachable once it is opened (its summary is).
      if (!hidden && !el.closest("details:not([open]) > :not(summary)")) {
        el.setAttribute("data-kbd", String(n++));
      }
    }
    return n;
  });
  const reached = new Set();
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.focus("body").catch(() => {});
  // Scrollable regions (wide tables, the chart) take a Tab stop of their own in Chromium.
  const presses = Math.min(limit, Math.ceil(total * 1.25) + 10);
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute("data-kbd"));
    if (id !== null && id !== undefined) reached.add(id);
  }
  const expected = Math.min(total, Math.floor((limit - 10) / 1.25));
  const missing = [];
  for (let i = 0; i < expected; i++) if (!reached.has(String(i))) missing.push(i);
  if (missing.length) {
    const which = await page.evaluate((ids) => ids.slice(0, 5).map((i) => {
      const el = document.querySelector(`[data-kbd="${i}"]`);
      return el ? el.outerHTML.slice(0, 120) : String(i);
    }), missing);
    fail(`${name}: ${missing.length} of ${expected} controls not reachable by Tab, e.g. ${which.join(" | ")}`);
  }
  return { controls: total, reached: reached.size };
}

async function shot(page, file) {
  await page.screenshot({ path: path.join(out, file), fullPage: false });
}

async function visit(page, url) {
  const response = await page.goto(base + url, { waitUntil: "load" });
  check(response && response.ok(), `${url}: HTTP ${response && response.status()}`);
  return response;
}

const scenarios = {
  // Search "watermark", filter SG, open MGF-GenAI Content Provenance, see its crosswalk.
  async search(page) {
    await visit(page, "/");
    await page.focus("#q");
    await page.keyboard.type("watermark", { delay: 30 });
    // Results follow typing: the URL and the results region update without a submit.
    await page.waitForFunction(() => location.search.includes("q=watermark"), null, { timeout: 15000 });
    await page.waitForSelector("#results .hit-title a");
    await shot(page, "search-typed.png");
    // The keyboard moves from the box into the results.
    await page.focus("#q");
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => document.activeElement.closest(".hit") !== null);
    check(focused, "ArrowDown from the box does not focus the first result");
    const sg = page.locator("#facet-jurisdiction + ul a", { hasText: "Singapore" });
    check(await sg.count() > 0, "no Singapore facet value");
    await Promise.all([page.waitForURL(/jurisdiction=SG/), sg.first().click()]);
    await page.waitForSelector("#results .hit-title a");
    const facetsOk = await page.locator(".chip", { hasText: "Singapore" }).count();
    check(facetsOk > 0, "the SG filter is not shown as an active filter");
    await shot(page, "search.png");
    await audit(page, "search");
    await keyboard(page, "search");
    await page.setViewportSize({ width: 640, height: 800 });
    await shot(page, "search-640.png");
    await audit(page, "search at 640");
    await page.setViewportSize({ width: 1280, height: 800 });
    const link = page.locator("#results .hit-title a", { hasText: "Content Provenance" });
    check(await link.count() > 0, "Content Provenance not among the SG watermark results");
    await Promise.all([page.waitForURL(/\/id\/provision\/sg-mgf-genai\/dim-7/), link.first().click()]);
    const frameworks = await page.$$eval("section.framework h3 > a", (as) => as.map((a) => a.textContent.trim()));
    await page.locator("#h-crosswalk").scrollIntoViewIfNeeded();
    await shot(page, "content-provenance.png");
    await audit(page, "element");
    await keyboard(page, "element");
    await page.setViewportSize({ width: 640, height: 800 });
    await shot(page, "content-provenance-640.png");
    await audit(page, "element at 640");
    return { frameworks };
  },

  // NIST AI RMF → ISO/IEC 42001: the 280 published pairs.
  async explorer(page) {
    await visit(page, "/crosswalk?from=us-nist-ai-rmf&to=iso-iec-42001");
    const published = page.locator(".facets a", { hasText: "Published crosswalk" });
    await Promise.all([page.waitForURL(/prov=published/), published.first().click()]);
    const count = Number(await page.textContent("#pair-count"));
    const rows = await page.locator("#pairs tbody tr").count();
    await shot(page, "explorer.png");
    await audit(page, "explorer");
    await keyboard(page, "explorer", 120);
    await page.setViewportSize({ width: 640, height: 800 });
    await shot(page, "explorer-640.png");
    await audit(page, "explorer at 640");
    await visit(page, "/gaps?from=sg-mgf-genai&to=iso-iec-42001");
    await audit(page, "gaps");
    await keyboard(page, "gaps", 120);
    await shot(page, "gaps.png");
    return { count, rows };
  },

  // The matrix, and one cell followed to its filtered search.
  async matrix(page) {
    await visit(page, "/matrix");
    await shot(page, "matrix.png");
    await audit(page, "matrix");
    await keyboard(page, "matrix", 200);
    const cell = page.locator('a.cell[href*="theme=content-provenance"][href*="jurisdiction=SG"]');
    check(await cell.count() === 1, "no content-provenance × SG cell");
    await Promise.all([page.waitForURL(/\/search\?theme=content-provenance&jurisdiction=SG/), cell.click()]);
    const chips = await page.$$eval(".chips .chip span", (s) => s.map((x) => x.textContent));
    const hits = await page.locator("#results .hit").count();
    await shot(page, "matrix-cell-search.png");
    await visit(page, "/sources");
    await audit(page, "sources");
    await keyboard(page, "sources", 200);
    await visit(page, "/id/instrument/eu-ai-act");
    await audit(page, "instrument");
    await shot(page, "instrument.png");
    return { chips, hits };
  },

  // A change page built from the fixture change: redlines and affected obligations.
  async change(page) {
    await visit(page, "/changes");
    await audit(page, "changes");
    await keyboard(page, "changes");
    await shot(page, "changes.png");
    const link = page.locator("ol.changes a", { hasText: "provision-modified" });
    check(await link.count() > 0, "the fixture change is not in the timeline");
    await Promise.all([page.waitForURL(/\/changes\/eu-ai-act-cellar_/), link.first().click()]);
    const inserted = await page.$$eval(".inline ins", (e) => e.map((x) => x.textContent));
    const removed = await page.$$eval(".inline del", (e) => e.map((x) => x.textContent));
    const obligations = await page.locator("#h-obligations + ul a").count();
    await shot(page, "change.png");
    await audit(page, "change");
    await keyboard(page, "change");
    return { inserted, removed, obligations };
  },

  // The console: run a saved query in YASGUI, download the results as CSV.
  async console(page) {
    await visit(page, "/console");
    await page.waitForSelector("#yasgui .CodeMirror", { timeout: 20000 });
    await page.click('.examples a[data-example="theme-matrix"]');
    await page.waitForFunction(() => {
      const cm = document.querySelector("#yasgui .tabPanel.active .CodeMirror");
      return cm && cm.CodeMirror && cm.CodeMirror.getValue().includes("Theme");
    }, null, { timeout: 10000 });
    await page.click("#yasgui .tabPanel.active .yasqe_queryButton");
    await page.waitForSelector("#yasgui .tabPanel.active .yasr table tbody tr", { timeout: 30000 });
    const rows = await page.locator("#yasgui .tabPanel.active .yasr table tbody tr").count();
    await shot(page, "console.png");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click('#downloads a[data-format="csv"]'),
    ]);
    const file = path.join(out, "results.csv");
    await download.saveAs(file);
    const csv = fs.readFileSync(file, "utf8");
    await audit(page, "console");
    await keyboard(page, "console", 150);
    return { rows, csvHeader: csv.split(/\r?\n/)[0], csvLines: csv.trim().split(/\r?\n/).length };
  },

  // Switch the UI to Bahasa Indonesia and keep it across pages.
  async language(page) {
    await visit(page, "/");
    await Promise.all([page.waitForURL(/lang=id/), page.click('.langs a[hreflang="id"]')]);
    const lang = await page.getAttribute("html", "lang");
    const nav = await page.$$eval("header.site nav:not(.langs) a", (as) => as.map((a) => a.textContent));
    await Promise.all([page.waitForURL(/\/matrix\?lang=id/), page.click('header.site a[href="/matrix?lang=id"]')]);
    const heading = await page.textContent("h1");
    await shot(page, "matrix-id.png");
    await audit(page, "matrix (id)");
    await visit(page, "/id/provision/sg-mgf-genai/dim-7?lang=id");
    const tags = await page.$$eval("a.tag", (as) => as.map((a) => a.textContent));
    await shot(page, "element-id.png");
    await audit(page, "element (id)");
    return { lang, nav, heading, tags };
  },
};

(async () => {
  const run = scenarios[scenario];
  if (!run) fail(`unknown scenario ${scenario}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    // A fresh context is a fresh profile: no cookies, storage or cache from earlier runs.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const origin = new URL(base).origin;
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")) seen.outside.push(u);
    });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const result = await run(page);
    check(seen.outside.length === 0, `requests outside the server: ${seen.outside.slice(0, 5).join(", ")}`);
    check(errors.length === 0, `script errors: ${errors.slice(0, 3).join(" | ")}`);
    check(seen.violations.length === 0, `axe serious/critical violations: ${JSON.stringify(seen.violations)}`);
    console.log(JSON.stringify({ ok: true, scenario, audited: seen.pages, ...result }));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e && e.expected ? e.message : (e && e.stack) || String(e));
  process.exit(1);
});
