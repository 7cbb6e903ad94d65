// /metrics text: Prometheus exposition format 0.0.4, counters with escaped labels, gauges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Metrics } from '../../src/http/metrics.ts';

describe('metrics', () => {
  it('renders counters by label set and the process gauges', () => {
    const m = new Metrics();
    m.signOns.inc(['basicAuth', 'succeeded']);
    m.signOns.inc(['basicAuth', 'succeeded']);
    m.signOns.inc(['certAuth', 'failed']);
    m.locks.inc();
    const text = m.render();
    assert.ok(text.endsWith('\n'));
    assert.match(text, /^# TYPE sekisho_signon_total counter$/m);
    assert.match(text, /^sekisho_signon_total\{method="basicAuth",result="succeeded"\} 2$/m);
    assert.match(text, /^sekisho_signon_total\{method="certAuth",result="failed"\} 1$/m);
    assert.match(text, /^sekisho_user_locked_total 1$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    assert.match(text, /^process_start_time_seconds \d+$/m);
  });

  it('escapes label values and refuses a wrong label count', () => {
    const c = new Counter({ name: 'x_total', help: 'x', labels: ['a'] });
    c.inc(['q"\\\nz']);
    assert.match(c.render(), /^x_total\{a="q\\"\\\\\\nz"\} 1$/m);
    assert.throws(() => {
      c.inc([]);
    }, RangeError);
    assert.equal(c.get(['q"\\\nz']), 1);
  });
});
