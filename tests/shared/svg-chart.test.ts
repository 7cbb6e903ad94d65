/**
 * The SVG chart's structure, not its pixels: one bar per bucket and series, accessible names,
 * a fixed viewBox without size, hostile labels escaped (no element or attribute can be
 * injected), no script or event attribute, balanced tags, and refusals of inconsistent input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CHART_HEIGHT,
  CHART_WIDTH,
  escapeXml,
  renderTimeSeriesSvg,
  type TimeSeriesChart,
} from '../../src/shared/svg-chart.ts';

const HOSTILE = '</title><script>alert(1)</script><g onload="x()">&amp;\'"\u0000';

const chart = (over: Partial<TimeSeriesChart> = {}): TimeSeriesChart => ({
  title: 'Sign-ons',
  description: 'Sign-ons per hour',
  labels: ['09:00', '10:00', '11:00', '12:00', '13:00'],
  series: [
    { name: 'succeeded', values: [1, 5, 3, 0, 12] },
    { name: 'failed', values: [0, 2, 0, 1, 3] },
    { name: 'denied', values: [4, 0, 0, 0, 1] },
  ],
  xAxisLabel: 'time',
  yAxisLabel: 'count',
  ...over,
});

const count = (s: string, re: RegExp): number => [...s.matchAll(re)].length;

/** Every start tag is closed, in order (self-closing tags aside). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '') stack.push(m[2]!);
    else if (stack.pop() !== m[2]) return false;
  }
  return stack.length === 0;
}

describe('renderTimeSeriesSvg', () => {
  it('draws one bar per bucket and series, with an accessible name and a scalable viewBox', () => {
    const svg = renderTimeSeriesSvg(chart({ lang: 'ja', idPrefix: 'signons' }));
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.includes(`viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}"`));
    assert.ok(!/<svg[^>]*\s(width|height)=/.test(svg), 'no fixed size on the root');
    assert.ok(svg.includes('role="img"'));
    assert.ok(svg.includes('aria-labelledby="signons-title signons-desc"'));
    assert.ok(svg.includes('<title id="signons-title">Sign-ons</title>'));
    assert.ok(svg.includes('<desc id="signons-desc">Sign-ons per hour</desc>'));
    assert.ok(svg.includes('lang="ja"'));
    const series = [...svg.matchAll(/<g class="series"[\s\S]*?<\/g>/g)].map((m) => m[0]);
    assert.equal(series.length, 3);
    for (const g of series) assert.equal(count(g, /<rect /g), 5);
    assert.ok(svg.includes('<title>13:00 succeeded: 12</title>'));
    assert.ok(balanced(svg));
  });

  it('draws a line and a point per bucket in line mode', () => {
    const svg = renderTimeSeriesSvg(chart({ kind: 'line' }));
    assert.equal(count(svg, /<polyline /g), 3);
    assert.equal(count(svg, /<circle /g), 15);
    assert.equal(count(svg, /<g class="series"/g), 3);
    assert.ok(balanced(svg));
  });

  it('escapes hostile labels, names, titles and axis texts', () => {
    const svg = renderTimeSeriesSvg(
      chart({
        title: HOSTILE,
        description: HOSTILE,
        labels: [HOSTILE, 'b', 'c', 'd', 'e'],
        series: [{ name: HOSTILE, values: [1, 2, 3, 4, 5] }],
        xAxisLabel: HOSTILE,
        yAxisLabel: HOSTILE,
        lang: '"><script>',
      }),
    );
    assert.ok(!svg.includes('<script'));
    const tagsText = [...svg.matchAll(/<[^>]*>/g)].map((m) => m[0]).join('');
    assert.ok(!/\son[a-z]+=/i.test(tagsText), 'no event attribute');
    assert.ok(!svg.includes('\u0000'));
    assert.ok(svg.includes('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(svg.includes('&amp;amp;&#39;&quot;'));
    assert.ok(balanced(svg));
    // Only the elements the renderer writes.
    const tags = new Set([...svg.matchAll(/<([a-z]+)/g)].map((m) => m[1]));
    assert.deepEqual([...tags].sort(), ['desc', 'g', 'line', 'rect', 'svg', 'text', 'title']);
    assert.equal(escapeXml('a<b>&"\''), 'a&lt;b&gt;&amp;&quot;&#39;');
  });

  it('shows at most 12 x labels, and draws an empty chart', () => {
    const labels = Array.from({ length: 60 }, (_, i) => `L${i}`);
    const svg = renderTimeSeriesSvg(
      chart({ labels, series: [{ name: 's', values: labels.map(() => 1) }] }),
    );
    const xaxis = /<g class="x-axis"[\s\S]*?<\/g>/.exec(svg)![0];
    assert.ok(count(xaxis, /<text /g) <= 13);
    assert.equal(count(svg, /<rect /g), 60 + 1); // bars and one legend swatch
    const empty = renderTimeSeriesSvg(chart({ labels: [], series: [] }));
    assert.ok(balanced(empty));
    assert.equal(count(empty, /<rect /g), 0);
  });

  it('refuses inconsistent input', () => {
    assert.throws(
      () => renderTimeSeriesSvg(chart({ series: [{ name: 'x', values: [1] }] })),
      RangeError,
    );
    assert.throws(
      () => renderTimeSeriesSvg(chart({ series: [{ name: 'x', values: [1, 2, 3, -1, 0] }] })),
      RangeError,
    );
    assert.throws(
      () => renderTimeSeriesSvg(chart({ series: [{ name: 'x', values: [1, 2, 3, NaN, 0] }] })),
      RangeError,
    );
    assert.throws(() => renderTimeSeriesSvg(chart({ idPrefix: 'a"b' })), RangeError);
  });
});
