// Chart colours from the page's CSS custom properties, so charts follow the light/dark theme.

/** Colours a chart needs. */
export interface ChartColors {
  bps: string;
  bpsFill: string;
  pps: string;
  grid: string;
  text: string;
}

/** Reads the current theme's colours from :root. */
export function chartColors(): ChartColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    bps: v("--chart-bps"),
    bpsFill: v("--chart-bps-fill"),
    pps: v("--chart-pps"),
    grid: v("--chart-grid"),
    text: v("--muted"),
  };
}

/** Calls `onChange` when the system switches between light and dark. Returns an unsubscriber. */
export function onThemeChange(onChange: () => void): () => void {
  const query = matchMedia("(prefers-color-scheme: dark)");
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}
