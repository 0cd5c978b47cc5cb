// Checks a page's layout by the boxes of its text, not by eye: every visible piece of text must
// lie within the screen's width, inside every ancestor that clips overflow, and clear of every
// other piece of text. The chart's time labels (drawn on a canvas) are checked from the boxes
// the page publishes for them.

import type { Page } from "playwright-core";

/**
 * What is wrong with the layout of the text in `scope` (a CSS selector, default the body; with
 * a modal dialog open, pass the dialog: what is behind it is covered). Empty when nothing is.
 */
export async function layoutProblems(page: Page, scope = "body"): Promise<string[]> {
  return await page.evaluate((selector) => {
    const root = document.querySelector(selector);
    if (!root) return [`nothing matches ${selector}`];
    const width = document.documentElement.clientWidth;
    const problems: string[] = [];
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${
        el.classList.length ? `.${[...el.classList].join(".")}` : ""
      }`;
    const boxes: { r: DOMRect; text: string; node: Node }[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? "").trim();
      const el = node.parentElement;
      // Not shown: closed dialogs and details, and the skip link until it has the focus.
      const unseen = "script, style, noscript, option, dialog:not([open]), " +
        "details:not([open]) > :not(summary), a.skip:not(:focus)";
      if (!text || !el || el.closest(unseen)) continue;
      if (getComputedStyle(el).visibility === "hidden") continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width < 1 || r.height < 1) continue;
        const quoted = `"${text.slice(0, 40)}"`;
        if (r.left < -0.5 || r.right > width + 0.5) {
          problems.push(
            `${quoted} leaves the screen (x ${r.left.toFixed(0)}-${r.right.toFixed(0)})`,
          );
        }
        for (let a: Element | null = el; a && a !== document.documentElement; a = a.parentElement) {
          const style = getComputedStyle(a);
          if (style.overflowX === "visible" && style.overflowY === "visible") continue;
          const box = a.getBoundingClientRect();
          if (
            r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
            r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5
          ) {
            problems.push(`${quoted} is clipped by ${name(a)}`);
            break;
          }
        }
        boxes.push({ r, text, node });
      }
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        if (a.node === b.node) continue;
        const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (x > 1 && y > 1) {
          problems.push(`"${a.text.slice(0, 30)}" overlaps "${b.text.slice(0, 30)}"`);
        }
      }
    }
    return problems;
  }, scope);
}

/** What is wrong with the chart's time labels: overlapping, or outside the canvas. */
export async function chartLabelProblems(page: Page): Promise<string[]> {
  return await page.evaluate(() => {
    const box = document.querySelector<HTMLElement>("[data-testid=throughput-chart]");
    const canvas = box?.querySelector("canvas");
    if (!box || !canvas) return ["no chart"];
    const labels = JSON.parse(box.dataset.xLabels ?? "[]") as [number, number][];
    const { from, to, points } = box.dataset;
    const problems: string[] = labels.length < 2
      ? [`only ${labels.length} time labels (chart ${from}-${to}, ${points} points)`]
      : [];
    const sorted = [...labels].sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < sorted.length; i++) {
      const [left, right] = sorted[i];
      if (left < 0 || right > canvas.clientWidth) {
        problems.push(`label ${i} at ${left}-${right} leaves the ${canvas.clientWidth} px canvas`);
      }
      if (i > 0 && left < sorted[i - 1][1]) {
        problems.push(`labels ${i - 1} and ${i} overlap (${sorted[i - 1][1]} > ${left})`);
      }
    }
    return problems;
  });
}
