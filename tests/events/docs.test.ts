// docs/events.md and the code must agree: texts of every event, error codes, view examples.
// The examples in the page are the output of the scenario below, in Asia/Tokyo.
process.env['TZ'] = 'Asia/Tokyo';

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';

import {
  EVENT_CATALOGUE,
  EVENT_ERROR_CODES,
  EVENT_IDS,
  EVENT_LIST_COLUMNS,
  EventLog,
  encodeSense,
  formatEventDetail,
  formatEventList,
} from '../../src/events/index.ts';
import { SqliteEventStore } from '../../src/storage/sqlite/event-store.ts';

/** The events of the page's examples: 086008 raised twice, 086007 fixed, 086009. */
function exampleLog(): EventLog {
  let now = Date.UTC(2025, 3, 1, 3, 4, 5);
  const log = new EventLog(new SqliteEventStore(new DatabaseSync(':memory:')), () => new Date(now));
  const ks = (objectId: string, objectName: string) =>
    ({
      objectType: 'keyserver',
      objectId,
      objectName,
      reportingNodeId: '1',
      reportingNodeName: 'node1',
    }) as const;
  const refused = encodeSense({
    eventId: '086008',
    stageCode: 3,
    causeCode: 'ECONNREFUSED',
    message: 'connect ECONNREFUSED 192.0.2.10:5696',
  });
  log.raise({ eventId: '086008', ...ks('1', 'keyserver1'), sense: refused });
  now += 15 * 60_000;
  log.raise({ eventId: '086008', ...ks('1', 'keyserver1'), sense: refused });
  now += 5 * 60_000;
  const vendor = log.raise({
    eventId: '086007',
    ...ks('0', 'isklm-primary'),
    sense: encodeSense({
      eventId: '086007',
      kmipMajor: 1,
      kmipMinor: 2,
      reason: 1,
      vendorIdentification: 'PyKMIP',
      productVersion: '0.10.0',
      serverType: '',
    }),
  });
  now += 60_000;
  log.fix(vendor.sequenceNumber);
  now += 60_000;
  log.raise({
    eventId: '086009',
    ...ks('0', 'isklm-primary'),
    sense: encodeSense({
      eventId: '086009',
      serverType: 'clone',
      message: 'the primary key server reports ServerType=clone',
    }),
  });
  return log;
}

const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
const fenced = (lines: readonly string[]): string => '```text\n' + lines.join('\n') + '\n```\n';

describe('docs/events.md', () => {
  it('gives error code 1785 its texts and explanation', () => {
    const c = EVENT_CATALOGUE;
    assert.ok(
      doc.includes(`| \`error_code_text\` | ${c.errorCodeText.ja} | ${c.errorCodeText.en} |`),
    );
    assert.ok(doc.includes(fenced(c.explanation.ja)));
    assert.ok(doc.includes(fenced(c.explanation.en)));
  });

  it('gives every event ID its description, meaning and user action in both languages', () => {
    for (const id of EVENT_IDS) {
      const e = EVENT_CATALOGUE.events[id];
      assert.ok(doc.includes(`| ${id} | ${e.description.en} | ${e.description.ja} |`), id);
      assert.ok(doc.includes(`### ${id} — ${e.description.en}\n`), id);
      for (const lang of ['ja', 'en'] as const) {
        assert.ok(doc.includes(fenced(e.meaning[lang])), `${id} meaning ${lang}`);
        assert.ok(doc.includes(fenced(e.userAction[lang])), `${id} user action ${lang}`);
      }
    }
  });

  it('documents every event error code with its meaning', () => {
    for (const [code, meaning] of Object.entries(EVENT_ERROR_CODES)) {
      assert.ok(doc.includes(`| \`${code}\` | ${meaning}`), code);
    }
  });

  it('shows real output of the concise and detailed views', () => {
    const log = exampleLog();
    const examples = [
      '$ sekisho lseventlog\n' + formatEventList(log.listSummaries(), { lang: 'en' }),
      '$ LANG=ja_JP.UTF-8 sekisho lseventlog -delim : -order severity\n' +
        formatEventList(log.listSummaries({ order: 'severity' }), { lang: 'ja', delim: ':' }),
      '$ sekisho lseventlog 1\n' + formatEventDetail(log.get(1)!, { lang: 'en' }),
      '$ LANG=ja_JP.UTF-8 sekisho lseventlog -delim : 3\n' +
        formatEventDetail(log.get(3)!, { lang: 'ja', delim: ':' }),
    ];
    for (const text of examples) assert.ok(doc.includes('```text\n' + text + '```\n'), text);
    assert.ok(doc.includes(EVENT_LIST_COLUMNS.join(':') + '\n'));
  });
});
