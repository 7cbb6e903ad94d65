/**
 * A small server-side SVG renderer for time-series counts (the console's sign-on and
 * authorization charts): grouped bars or lines over labelled buckets, a y axis with round ticks,
 * a legend.
 *
 * Safe to inline in a page: every text is XML-escaped, the document holds no script, no event
 * attribute, no `foreignObject` and no external reference, and colours come from a fixed
 * palette, never from input. Accessible: `role="img"` with `<title>` and `<desc>` referenced by
 * `aria-labelledby`, and a `<title>` on every bar or point (its bucket, series and value). The
 * `viewBox` is fixed and there is no width or height, so the chart scales to its container.
 */

/** Series colours, in order (colour-blind-safe Okabe–Ito hues). */
export const CHART_PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00'] as const;

export const CHART_KINDS = ['bar', 'line'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/** Most buckets and series a chart draws. */
export const MAX_CHART_BUCKETS = 1500;
export const MAX_CHART_SERIES = CHART_PALETTE.length;

export interface ChartSeries {
  readonly name: string;
  /** One finite, non-negative value per label. */
  readonly values: readonly number[];
}

export interface TimeSeriesChart {
  /** Read by assistive technology first, and shown above the chart. */
  readonly title: string;
  /** A sentence describing what the chart shows (the `<desc>`). */
  readonly description: string;
  /** One label per bucket (e.g. `09:00`), shown under the x axis when there is room. */
  readonly labels: readonly string[];
  readonly series: readonly ChartSeries[];
  readonly xAxisLabel: string;
  readonly yAxisLabel: string;
  /** Default `bar`. */
  readonly kind?: ChartKind | undefined;
  /** Language of the texts (`lang` attribute), e.g. `ja` or `en`. */
  readonly lang?: string | undefined;
  /** Prefix of the element IDs, unique in the page: a letter, then letters, digits, `-`, `_`. */
  readonly idPrefix?: string | undefined;
}

/** The viewBox: 800 × 400 user units. */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;

const MARGIN = { left: 64, right: 16, top: 40, bottom: 84 } as const;
/** Most x labels written (every k-th bucket beyond). */
const MAX_X_LABELS = 12;

/** Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex -- the complement of XML 1.0's Char production
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text escaped for XML content and attribute values; characters XML 1.0 forbids are dropped. */
export function escapeXml(s: string): string {
  return s.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** A round number ≥ `max` (1, 2 or 5 × 10ⁿ) and the tick step that divides it in 4–5. */
function niceScale(max: number): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const top = Math.ceil(max / step) * step;
  return { top, step: step < 1 && Number.isInteger(max) ? 1 : step };
}

const fmt = (n: number): string => String(Math.round(n * 100) / 100);

/**
 * The chart as an SVG document (a string beginning with `<svg`). Throws `RangeError` when the
 * labels and values disagree in number, a value is negative or not finite, there are more than
 * {@link MAX_CHART_BUCKETS} buckets or {@link MAX_CHART_SERIES} series, or the ID prefix is not
 * a plain identifier. O(buckets × series).
 */
export function renderTimeSeriesSvg(chart: TimeSeriesChart): string {
  const n = chart.labels.length;
  const id = chart.idPrefix ?? 'chart';
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(id))
    throw new RangeError('idPrefix: not an identifier');
  if (n > MAX_CHART_BUCKETS) throw new RangeError(`more than ${MAX_CHART_BUCKETS} buckets`);
  if (chart.series.length > MAX_CHART_SERIES) {
    throw new RangeError(`more than ${MAX_CHART_SERIES} series`);
  }
  for (const s of chart.series) {
    if (s.values.length !== n)
      throw new RangeError(`series ${s.name}: ${s.values.length} values for ${n} labels`);
    if (!s.values.every((v) => Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`series ${s.name}: values must be finite and non-negative`);
    }
  }
  const kind = chart.kind ?? 'bar';
  const plotW = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(0, ...chart.series.flatMap((s) => s.values));
  const { top, step } = niceScale(max);
  const y = (v: number): number => MARGIN.top + plotH - (v / top) * plotH;
  const slot = n === 0 ? plotW : plotW / n;
  const x0 = (i: number): number => MARGIN.left + i * slot;
  const out: string[] = [];
  const lang = chart.lang === undefined ? '' : ` lang="${escapeXml(chart.lang)}"`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}"` +
      ` role="img" aria-labelledby="${id}-title ${id}-desc"${lang}` +
      ` font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="${id}-title">${escapeXml(chart.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(chart.description)}</desc>`,
    `<text x="${CHART_WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  // Y axis: grid lines and tick labels.
  out.push('<g class="y-axis" fill="#444">');
  for (let v = 0; v <= top + step / 2; v += step) {
    const yy = fmt(y(v));
    out.push(
      `<line x1="${MARGIN.left}" x2="${CHART_WIDTH - MARGIN.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yAxisLabel)}</text>`,
    '</g>',
  );
  // X axis: baseline, every k-th label, axis title.
  const every = Math.max(1, Math.ceil(n / MAX_X_LABELS));
  const base = MARGIN.top + plotH;
  out.push(
    '<g class="x-axis" fill="#444">',
    `<line x1="${MARGIN.left}" x2="${CHART_WIDTH - MARGIN.right}" y1="${base}" y2="${base}" stroke="#444"/>`,
  );
  for (let i = 0; i < n; i += every) {
    out.push(
      `<text x="${fmt(x0(i) + slot / 2)}" y="${base + 16}" text-anchor="middle">${escapeXml(chart.labels[i]!)}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${base + 40}" text-anchor="middle">${escapeXml(chart.xAxisLabel)}</text>`,
    '</g>',
  );
  // The data.
  const k = Math.max(1, chart.series.length);
  chart.series.forEach((s, si) => {
    const color = CHART_PALETTE[si]!;
    const name = escapeXml(s.name);
    out.push(`<g class="series" fill="${color}" stroke="${color}">`);
    if (kind === 'bar') {
      const w = (slot * 0.8) / k;
      s.values.forEach((v, i) => {
        const yy = y(v);
        out.push(
          `<rect x="${fmt(x0(i) + slot * 0.1 + si * w)}" y="${fmt(yy)}" width="${fmt(w)}" height="${fmt(base - yy)}" stroke="none">` +
            `<title>${escapeXml(chart.labels[i]!)} ${name}: ${fmt(v)}</title></rect>`,
        );
      });
    } else {
      const points = s.values.map((v, i) => `${fmt(x0(i) + slot / 2)},${fmt(y(v))}`).join(' ');
      out.push(`<polyline points="${points}" fill="none" stroke-width="2"/>`);
      s.values.forEach((v, i) => {
        out.push(
          `<circle cx="${fmt(x0(i) + slot / 2)}" cy="${fmt(y(v))}" r="3" stroke="none">` +
            `<title>${escapeXml(chart.labels[i]!)} ${name}: ${fmt(v)}</title></circle>`,
        );
      });
    }
    out.push('</g>');
  });
  // Legend, under the x axis title.
  out.push('<g class="legend" fill="#222">');
  chart.series.forEach((s, si) => {
    const lx = MARGIN.left + si * 180;
    const ly = CHART_HEIGHT - 18;
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${CHART_PALETTE[si]!}"/>`,
      `<text x="${lx + 18}" y="${ly}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</g>', '</svg>');
  return out.join('\n');
}
