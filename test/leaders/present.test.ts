// Page models of the shortlist and report pages (server/evaluations/present.ts,
// server/reports/present.ts): paging and language links keep the filters, errors are worded in the
// page's language, and what a page offers follows the ability table.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { Call } from '../../models/call.ts';
import { PANEL_STAGES } from '../../models/constants.ts';
import type { UserDoc } from '../../models/user.ts';
import { systemContext } from '../../server/context.ts';
import { shortlistPage, translateErrors } from '../../server/evaluations/present.ts';
import { steeringPage } from '../../server/reports/present.ts';
import type { SteeringReport } from '../../server/reports/index.ts';
import { translator } from '../../server/i18n/index.ts';

describe('leaders: page models', () => {
  const institute = new Types.ObjectId();
  const call = new Call({ institute, title: { vi: 'Đợt 1', en: 'Round 1' }, track: 'researcher', field: { vi: 'Vật lý', en: 'Physics' }, scorecard: [] });
  const as = (role: string, inst?: Types.ObjectId) => systemContext({ now: new Date('2026-03-01T00:00:00Z'), locale: 'en', actor: { _id: new Types.ObjectId(), role, institute: inst, panelCalls: [] } as unknown as UserDoc });

  it('pages the shortlist with its filters kept, and offers scoring to evaluators only', () => {
    const list = { rows: [], total: 60, page: 2, pages: 3, query: {}, panelSize: 3 };
    const query = { stage: 'evaluation' as const, minScore: 3, sort: '' as const, page: 2 };
    const page = shortlistPage({ ctx: as('leader', institute), call, list, query });
    expect(page.prevUrl).to.equal(`/shortlists/${call._id}?stage=evaluation&minScore=3`);
    expect(page.nextUrl).to.equal(`/shortlists/${call._id}?stage=evaluation&minScore=3&page=3`);
    expect(page.canEvaluate).to.equal(true);
    expect(page.stages).to.deep.equal(PANEL_STAGES);
    expect(shortlistPage({ ctx: as('admin'), call, list: { ...list, page: 1, pages: 1 }, query: {} })).to.include({ canEvaluate: false, prevUrl: undefined, nextUrl: undefined });
  });

  it('words field errors given as keys in the page language and keeps other text', () => {
    const t = translator('en') as unknown as (k: string) => string;
    expect(translateErrors(t, { recommendation: 'shortlists.errors.recommendation', reason: 'Already worded' })).to.deep.equal({ recommendation: t('shortlists.errors.recommendation'), reason: 'Already worded' });
    expect(t('shortlists.errors.recommendation')).not.to.equal('shortlists.errors.recommendation');
    expect(translateErrors(t, undefined)).to.equal(undefined);
  });

  it('links the report to its downloads and to the other language with the same filters', () => {
    const report = { locale: 'en', title: 'Steering report', tables: [], resolved: { values: { call: 'c1', from: '2026-01-01', to: '', institute: '' } } } as unknown as SteeringReport;
    const page = steeringPage({ report });
    expect(page).to.include({
      csvUrl: '/reports/steering.csv?call=c1&from=2026-01-01&lang=en',
      pdfUrl: '/reports/steering.pdf?call=c1&from=2026-01-01&lang=en',
      otherLangUrl: '/reports/steering?call=c1&from=2026-01-01&lang=vi',
      dashboardUrl: '/dashboard?call=c1&from=2026-01-01',
      reportLocale: 'en',
    });
  });
});
